import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { CancelForm } from "./cancel-form";

export const metadata: Metadata = { title: "Cancel account recovery" };

/** Reached from the link in a notice; needs no sign-in, only the link. */
export default async function CancelRecoveryPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Cancel account recovery</h1>
      {params.done === "1" ? (
        <>
          <Alert kind="success">
            The recovery was cancelled. Your sign-in methods stay as they are.
          </Alert>
          <p className="mt-4">
            Someone who knows your password asked for it: change your password now, and tell the
            helpdesk.
          </p>
        </>
      ) : (
        <>
          {params.gone === "1" && (
            <div className="mb-4">
              <Alert kind="error">
                This link no longer works: the recovery was already cancelled or has ended.
              </Alert>
            </div>
          )}
          <p className="mb-4">
            Someone asked to reset the sign-in methods of your account. If this wasn&apos;t you,
            cancel it: nothing about your account changes.
          </p>
          <CancelForm />
        </>
      )}
      <p className="mt-6">
        <Link href="/signin" className="text-brand-700 underline">
          Back to sign in
        </Link>
      </p>
    </>
  );
}
