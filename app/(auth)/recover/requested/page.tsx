import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/components/ui/local-time";

export const metadata: Metadata = { title: "Recovery requested" };

/** The end of the proofs: when the recovery completes, and what happens until then. */
export default async function RecoveryRequestedPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const at = Number((await searchParams).at);
  const when = Number.isFinite(at) && at > 0 ? new Date(at) : null;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Recovery requested</h1>
      <p className="mb-4">
        {when ? (
          <>
            Your sign-in methods can be reset from <LocalTime value={when} />.
          </>
        ) : (
          "Your sign-in methods can be reset once the waiting period has passed."
        )}{" "}
        Then sign in with your password: you will go straight to setting up a new method, and your
        old methods will be removed.
      </p>
      <p className="mb-4">
        Until then, we have told every address and phone on your account, each with a link to
        cancel. Signing in with one of your old methods cancels the request too.
      </p>
      <Link href="/signin" className="text-brand-700 underline">
        Back to sign in
      </Link>
    </>
  );
}
