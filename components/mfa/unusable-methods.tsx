import Link from "next/link";
import { getEnv } from "@/lib/env";
import type { UnusableReason } from "@/lib/mfa/methods";

const WHY: Record<UnusableReason, string> = {
  role: "Text messages and calls can't be used to sign in to helpdesk and administrator accounts, and a phone is the only sign-in method on your account.",
  phones_unavailable:
    "Text messages and calls can't be sent at the moment, and a phone is the only sign-in method on your account.",
};

/**
 * Why someone whose every method is unusable now cannot go on, and how to get back in: the
 * helpdesk checks who they are and issues a Temporary Access Pass to set up another method.
 */
export function UnusableMethods({
  reasons,
  signingIn,
}: {
  reasons: UnusableReason[];
  signingIn: boolean;
}) {
  const helpdesk = getEnv().HELPDESK_EMAIL;
  return (
    <>
      {reasons.map((reason) => (
        <p key={reason} className="mb-3 text-slate-700">
          {WHY[reason]}
        </p>
      ))}
      <p className="mb-3 text-slate-700">
        To get back in, contact the helpdesk at{" "}
        <a className="text-brand-700 underline" href={`mailto:${helpdesk}`}>
          {helpdesk}
        </a>
        . Once they have checked who you are, they can give you a Temporary Access Pass, which lets
        you set up another method, such as the Authenticator app or a passkey.
      </p>
      {signingIn && (
        <p className="mt-6 flex flex-wrap gap-6">
          <Link href="/signin/access-pass" className="text-brand-700 underline">
            Use a Temporary Access Pass
          </Link>
          <Link href="/signin" className="text-brand-700 underline">
            Back to sign in
          </Link>
        </p>
      )}
    </>
  );
}
