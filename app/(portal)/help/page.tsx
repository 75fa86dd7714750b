import type { Metadata } from "next";
import { requireSession } from "@/lib/auth/current";
import { getEnv } from "@/lib/env";

export const metadata: Metadata = { title: "Help" };

export default async function HelpPage() {
  await requireSession();
  const { HELPDESK_EMAIL, ORG_NAME } = getEnv();
  const helpdesk = (
    <a className="text-brand-700 underline" href={`mailto:${HELPDESK_EMAIL}`}>
      {HELPDESK_EMAIL}
    </a>
  );
  const faq: { question: string; answer: React.ReactNode }[] = [
    {
      question: "How can I reduce the number of verification requests?",
      answer: (
        <>
          Answer <q>Yes</q> to <q>Stay signed in?</q> on your own devices, and tick{" "}
          <q>Don&apos;t ask again</q> when you verify on a browser you use often. Signing in from a
          new network, a VPN or another country can still ask you to verify: that is how we notice
          someone else using your password.
        </>
      ),
    },
    {
      question: "Why am I asked to change my password many times (VPN)?",
      answer: (
        <>
          Apps such as the VPN keep an old password until you update it in the app itself. Each
          failed attempt with the old password counts against your account. Update the password
          saved in the VPN client and in your mail app after changing it.
        </>
      ),
    },
    {
      question: "What if I have limited wifi or phone signal?",
      answer: (
        <>
          An authenticator app makes codes without any connection. Text messages and calls need
          signal; set up the app or recovery codes as a backup before you travel.
        </>
      ),
    },
    {
      question: "I do not have a mobile phone. What can I do?",
      answer: (
        <>
          Contact the helpdesk at {helpdesk}: they can give you a hardware token that shows codes.
        </>
      ),
    },
    {
      question: "I see sign-in activity I don't recognise. What should I do?",
      answer: (
        <>
          Change your password straight away and sign out everywhere, then tell the helpdesk at{" "}
          {helpdesk}. Never approve a sign-in or read out a code you did not ask for.
        </>
      ),
    },
    {
      question: "The call asks me to press the pound key '#'. Where is it?",
      answer: (
        <>
          The pound key is the hash key <kbd>#</kbd>, at the bottom right of the phone&apos;s
          keypad. On a smartphone, open the keypad during the call first.
        </>
      ),
    },
    {
      question: "My mail or calendar stopped working after I set up verification. Why?",
      answer: (
        <>
          Older mail apps cannot ask for a second factor. Remove the account from the app and add it
          again so it signs in through the browser, or use the web version.
        </>
      ),
    },
    {
      question: "Is this portal accessible?",
      answer: (
        <>
          Yes. It aims at WCAG 2.2 AA: every page works with a keyboard and a screen reader, and
          every step can also be completed by text message or call. If something gets in your way,
          tell us at {helpdesk}.
        </>
      ),
    },
    {
      question: "The VPN says \u201cAccess-Reject\u201d. What does that mean?",
      answer: (
        <>
          The VPN refused the sign-in: usually the verification was not approved in time, or the
          password is out of date. Try again and approve the request within a minute; if it keeps
          happening, contact {helpdesk}.
        </>
      ),
    },
    {
      question: "It says \u201cInvalid username or password\u201d although I verified. Why?",
      answer: (
        <>
          The verification succeeded but the password the app sent was not accepted, often an old
          saved password. Update the password saved in the app and try again.
        </>
      ),
    },
  ];
  return (
    <>
      <h1 className="text-3xl font-semibold">Help</h1>
      <p className="mt-2 text-slate-700">
        Answers to common questions about signing in to {ORG_NAME}.
      </p>
      <div className="mt-8 space-y-8">
        {faq.map(({ question, answer }) => (
          <section key={question} aria-label={question}>
            <h2 className="text-xl font-semibold">{question}</h2>
            <p className="mt-2 max-w-prose">{answer}</p>
          </section>
        ))}
      </div>
    </>
  );
}
