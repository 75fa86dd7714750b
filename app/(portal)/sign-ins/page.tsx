import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { secondaryButton } from "@/components/ui/button-styles";
import { listSignInEvents, type SignInFilter } from "@/lib/activity/sign-in-events";
import { requireSession } from "@/lib/auth/current";
import { getDb } from "@/lib/db/client";
import type { VerdictOutcome } from "./actions";
import { SignInsIsland } from "./_components/sign-ins-island";
import { parseCursorParam, parseFilter, SIGN_INS_PER_PAGE, toView } from "./view";

export const metadata: Metadata = { title: "My sign-ins" };

const FILTER_LABELS: Record<SignInFilter, string> = {
  all: "All",
  success: "Successful",
  failure: "Unsuccessful",
  unusual: "Unusual activity",
};

const OUTCOMES: Record<VerdictOutcome, { kind: "success" | "error"; text: string }> = {
  confirmed: { kind: "success", text: "Thank you. The sign-in is marked as yours." },
  "network-known": {
    kind: "success",
    text: "Thank you. The sign-in is marked as yours, and signing in from that network will count as less unusual for your account.",
  },
  missing: { kind: "error", text: "That sign-in is not in your list." },
};

export default async function SignInsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const params = await searchParams;
  const filter = parseFilter(params.show);
  const cursor = parseCursorParam(params.cursor);
  const done =
    typeof params.done === "string" ? OUTCOMES[params.done as VerdictOutcome] : undefined;
  const page = await listSignInEvents(await getDb(), session.user.id, {
    filter,
    cursor,
    limit: SIGN_INS_PER_PAGE,
  });

  return (
    <>
      <h1 className="text-3xl font-semibold">My sign-ins</h1>
      <p className="mt-2 text-slate-700">
        Every attempt to sign in to your account: when, from where, with what, and whether it
        worked.{" "}
        <Link href="/secure-account" className="font-medium text-brand-700 underline">
          Look unfamiliar? Secure your account
        </Link>
      </p>
      <p className="mt-2 text-sm text-slate-700">
        Locations are approximate. They come from the IP address, and may show where the internet
        provider is registered rather than where you were.
      </p>
      {done && (
        <div className="mt-4">
          <Alert kind={done.kind}>{done.text}</Alert>
        </div>
      )}

      <form method="get" action="/sign-ins" className="mt-6 flex flex-wrap items-end gap-3">
        <div className="space-y-1">
          <label htmlFor="show" className="block font-medium">
            Show
          </label>
          <select
            id="show"
            name="show"
            defaultValue={filter}
            className="block rounded-md border border-slate-400 px-3 py-2"
          >
            {Object.entries(FILTER_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className={secondaryButton}>
          Apply
        </button>
      </form>

      <SignInsIsland
        filter={filter}
        cursor={cursor ?? null}
        initial={{ items: page.items.map(toView), nextCursor: page.nextCursor }}
      />
    </>
  );
}
