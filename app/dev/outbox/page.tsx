import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SubmitButton } from "@/components/forms/submit-button";
import { LocalTime } from "@/components/ui/local-time";
import { getDb } from "@/lib/db/client";
import { listOutboxEntries, type CallStatus, type OutboxEntry } from "@/lib/mfa/phone-calls";
import { isOutboxProviderActive, outboxChannels, type Channel } from "@/lib/notify/providers";
import { answerCallAction, declineCallAction } from "./actions";

export const metadata: Metadata = { title: "Outbox" };

const CHANNEL_NAMES: Record<Channel, string> = { email: "Email", sms: "SMS", voice: "Call" };
const CHANNEL_PLURALS: Record<Channel, string> = {
  email: "emails",
  sms: "text messages",
  voice: "calls",
};
const CALL_STATUS_TEXT: Record<CallStatus, string> = {
  ringing: "Ringing",
  approved: "Answered: # pressed",
  declined: "Declined",
  ended: "Ended",
};

function listInWords(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export default async function OutboxPage() {
  if (!isOutboxProviderActive()) notFound();
  const messages = await listOutboxEntries(await getDb());
  const kept = listInWords(outboxChannels().map((channel) => CHANNEL_PLURALS[channel]));
  return (
    <main id="main" tabIndex={-1} className="mx-auto max-w-3xl px-4 py-8">
      <h1 className="text-3xl font-semibold">Outbox</h1>
      <p className="mt-4 text-slate-700">
        No provider is configured for {kept}, so Factor keeps them here instead of sending them.
        Anyone who can open this page can read them: configure real providers before people use this
        server (see the README, &ldquo;Messages&rdquo;).
      </p>
      <p className="mt-2">
        <a href="/dev/outbox" className="text-brand-700 underline">
          Refresh
        </a>
      </p>
      {messages.length === 0 && <p className="mt-6">No messages yet.</p>}
      <ul aria-label="Messages" className="mt-6 space-y-4">
        {messages.map((message) => (
          <MessageItem key={message.id} message={message} />
        ))}
      </ul>
    </main>
  );
}

function MessageItem({ message }: { message: OutboxEntry }) {
  return (
    <li className="rounded-lg border border-slate-300 bg-white p-4">
      <h2 className="text-lg font-semibold break-words">
        {CHANNEL_NAMES[message.channel]} to {message.recipient}
      </h2>
      <p className="text-sm text-slate-700">
        <LocalTime value={message.createdAt} />
      </p>
      {message.subject && (
        <p className="mt-2">
          <span className="font-semibold">Subject:</span> {message.subject}
        </p>
      )}
      <blockquote className="mt-2 border-l-4 border-slate-300 pl-3 break-words whitespace-pre-wrap">
        {message.body}
      </blockquote>
      {message.callStatus && (
        <p role="status" className="mt-2 text-sm">
          <span className="font-semibold">Call:</span> {CALL_STATUS_TEXT[message.callStatus]}
        </p>
      )}
      {message.ringingChallengeId && (
        <div className="mt-3 flex flex-wrap gap-3">
          <form action={answerCallAction}>
            <input type="hidden" name="challengeId" value={message.ringingChallengeId} />
            <SubmitButton pendingLabel="Answering…">Answer and press #</SubmitButton>
          </form>
          <form action={declineCallAction}>
            <input type="hidden" name="challengeId" value={message.ringingChallengeId} />
            <SubmitButton pendingLabel="Declining…" variant="secondary">
              Decline
            </SubmitButton>
          </form>
        </div>
      )}
    </li>
  );
}
