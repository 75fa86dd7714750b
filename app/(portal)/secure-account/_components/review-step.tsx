import Link from "next/link";
import { MethodRow } from "@/components/mfa/method-row";
import { RecoveryCodesRow } from "@/components/mfa/recovery-codes-row";
import { Alert } from "@/components/ui/alert";
import { dangerButton, primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { isRecentlyAdded, RECENTLY_ADDED_DAYS } from "@/lib/auth/secure-account";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { METHOD_KIND_INFO, methodDetail, methodName } from "@/lib/mfa/registry";
import { deleteMethodStepAction, regenerateRecoveryCodesStepAction } from "../actions";
import type { Step } from "../flow";
import { EventField } from "./event-field";

const REMOVAL_OUTCOMES: Record<string, { kind: "success" | "error"; text: string }> = {
  deleted: { kind: "success", text: "The sign-in method was deleted." },
  last: {
    kind: "error",
    text: "You can't delete your only sign-in method while your organisation requires one. Add another method first, then delete this one.",
  },
  missing: { kind: "error", text: "That sign-in method no longer exists." },
};

/** "Next" to another step: a plain GET, changing nothing. */
function NextStep({ step, eventId }: { step: Step; eventId: number | null }) {
  return (
    <form action="/secure-account" method="get">
      <input type="hidden" name="step" value={step} />
      <EventField eventId={eventId} />
      <button type="submit" className={primaryButton}>
        Next
      </button>
    </form>
  );
}

/** Step 3: the sign-in methods, with the recently added ones marked and quick to delete. */
export async function ReviewStep({
  eventId,
  userId,
  outcome,
}: {
  eventId: number | null;
  userId: string;
  outcome?: string;
}) {
  const summary = await getMethodSummary(await getDb(), userId);
  const shown = outcome ? REMOVAL_OUTCOMES[outcome] : undefined;
  const now = new Date();
  const recent = summary.methods.filter((m) => isRecentlyAdded(m.createdAt, now));
  return (
    <>
      <p className="max-w-prose text-slate-700">
        These are the ways you can sign in. Delete any you don&apos;t recognise: someone who knew
        your password may have added one. Methods added in the last {RECENTLY_ADDED_DAYS} days are
        marked and deleted with one click.
      </p>
      {shown && (
        <div className="mt-4">
          <Alert kind={shown.kind}>{shown.text}</Alert>
        </div>
      )}
      {recent.length > 0 && (
        <p className="mt-4 font-medium">
          {recent.length === 1
            ? "1 method was added in the last "
            : `${recent.length} methods were added in the last `}
          {RECENTLY_ADDED_DAYS} days.
        </p>
      )}
      <ul
        aria-label="Sign-in methods"
        className="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
      >
        {summary.methods.map((method) => {
          const kindName = METHOD_KIND_INFO[method.kind].listName;
          const name = `Delete ${methodName(method)}`;
          const detail = [methodDetail(method), method.isDefault && "default"].filter(Boolean);
          const isRecent = isRecentlyAdded(method.createdAt, now);
          return (
            <MethodRow
              key={method.id}
              title={
                <>
                  {kindName}
                  {isRecent && (
                    <span className="ml-2 rounded bg-amber-100 px-2 py-0.5 text-sm font-semibold text-amber-900">
                      Added recently
                    </span>
                  )}
                </>
              }
              dates={method}
              actions={
                isRecent ? (
                  <form action={deleteMethodStepAction}>
                    <input type="hidden" name="methodId" value={method.id} />
                    <EventField eventId={eventId} />
                    <button type="submit" aria-label={name} className={dangerButton}>
                      Delete
                    </button>
                  </form>
                ) : (
                  <DialogTrigger
                    label="Delete"
                    accessibleLabel={name}
                    title={`${name}?`}
                    className="text-red-700 underline"
                  >
                    <form action={deleteMethodStepAction} className="space-y-4">
                      <input type="hidden" name="methodId" value={method.id} />
                      <EventField eventId={eventId} />
                      <p>You will no longer be able to sign in with this method.</p>
                      <button type="submit" className={dangerButton}>
                        Delete
                      </button>
                    </form>
                  </DialogTrigger>
                )
              }
            >
              {detail.length > 0 && <p className="text-slate-700">{detail.join(" · ")}</p>}
            </MethodRow>
          );
        })}
        {summary.methods.length > 0 && (
          <RecoveryCodesRow
            left={summary.recoveryCodesLeft}
            action={regenerateRecoveryCodesStepAction}
          >
            . If someone may have seen them, create new ones: the old ones stop working.
          </RecoveryCodesRow>
        )}
      </ul>
      <p className="mt-4 text-slate-700">
        To add a method, finish here first, then go to{" "}
        <Link href="/security-info" className="text-brand-700 underline">
          Security info
        </Link>
        .
      </p>
      <div className="mt-6">
        <NextStep step="report" eventId={eventId} />
      </div>
    </>
  );
}
