import type { Metadata } from "next";
import Link from "next/link";
import { Field } from "@/components/forms/field";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { requireSession } from "@/lib/auth/current";
import { getDb } from "@/lib/db/client";
import {
  EMAIL_CODE_DIGITS,
  EMAIL_CODE_TTL_MS,
  getAlternateEmail,
  getPendingAlternateEmail,
} from "@/lib/mfa/alternate-email";
import {
  sendAlternateEmailCodeAction,
  verifyAlternateEmailAction,
  type AlternateEmailProblem,
} from "./actions";

export const metadata: Metadata = { title: "Alternate email" };

const PROBLEMS: Record<AlternateEmailProblem, string> = {
  invalid: "Enter an email address, like name@example.com.",
  same: "Enter a personal address, not the one you sign in with.",
  limit: "Too many codes were sent. Wait a few minutes, then try again.",
  dead: "That code was entered wrongly too many times. Try again later.",
  wrong: "That code didn't work. Check it and try again.",
  missing: "Start again: enter the address.",
};

export default async function AlternateEmailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const db = await getDb();
  const [current, pending] = await Promise.all([
    getAlternateEmail(db, session.user.id),
    getPendingAlternateEmail(db, session.user.id),
  ]);
  const params = await searchParams;
  const problem =
    typeof params.problem === "string"
      ? PROBLEMS[params.problem as AlternateEmailProblem]
      : undefined;
  const askCode = params.sent === "1" && pending !== null;
  return (
    <>
      <h1 className="text-3xl font-semibold">Alternate email</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        A personal address, not your work or school one. You can use it to reset your password or
        recover your account, and security notices go to it as well as to {session.user.email}. It
        is never used to sign in.
      </p>
      {current && (
        <p className="mt-2">
          Your alternate email now: <strong>{current.email}</strong>. A new one replaces it once
          verified.
        </p>
      )}
      {askCode ? (
        <div className="mt-6 max-w-md space-y-6">
          <form action={verifyAlternateEmailAction} className="space-y-4">
            <p>
              We sent a {EMAIL_CODE_DIGITS}-digit code to <strong>{pending.email}</strong>. It
              expires in {EMAIL_CODE_TTL_MS / 60_000} minutes.
            </p>
            <Field
              label="Code"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={16}
              required
              autoFocus
              errors={problem ? [problem] : undefined}
            />
            <button type="submit" className={primaryButton}>
              Verify
            </button>
          </form>
          <form action={sendAlternateEmailCodeAction}>
            <input type="hidden" name="email" value={pending.email} />
            <button type="submit" className={secondaryButton}>
              Send a new code
            </button>
          </form>
        </div>
      ) : (
        <form action={sendAlternateEmailCodeAction} className="mt-6 max-w-md space-y-4">
          <Field
            label="Alternate email"
            name="email"
            type="email"
            autoComplete="email"
            maxLength={254}
            required
            autoFocus
            errors={problem ? [problem] : undefined}
          />
          <button type="submit" className={primaryButton}>
            Send code
          </button>
        </form>
      )}
      <p className="mt-6">
        <Link href="/security-info" className="text-brand-700 underline">
          Back to Security info
        </Link>
      </p>
    </>
  );
}
