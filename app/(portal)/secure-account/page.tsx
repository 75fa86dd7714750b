import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/forms/change-password-form";
import { RecoveryCodesPanel } from "@/components/mfa/recovery-codes-panel";
import { Alert } from "@/components/ui/alert";
import { dangerButton, primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { LocalTime } from "@/components/ui/local-time";
import { CASE_MESSAGE_MAX_LENGTH } from "@/lib/cases/report";
import { requireSession } from "@/lib/auth/current";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password-policy";
import {
  getSecureAccountProgress,
  isRecentlyAdded,
  RECENTLY_ADDED_DAYS,
  type SecureAccountProgress,
} from "@/lib/auth/secure-account";
import { isFresh } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getMethodSummary } from "@/lib/mfa/methods";
import { METHOD_KIND_INFO } from "@/lib/mfa/registry";
import {
  changePasswordStepAction,
  deleteMethodStepAction,
  regenerateRecoveryCodesStepAction,
  signOutEverywhereStepAction,
  skipReportAction,
} from "./actions";
import { ReportForm } from "./_components/report-form";
import { parseEventId, parseStep, STEP_TITLES, STEPS, stepPath, type Step } from "./flow";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export async function generateMetadata({
  searchParams,
}: {
  searchParams: SearchParams;
}): Promise<Metadata> {
  return { title: STEP_TITLES[parseStep((await searchParams).step)] };
}

const REMOVAL_OUTCOMES: Record<string, { kind: "success" | "error"; text: string }> = {
  deleted: { kind: "success", text: "The sign-in method was deleted." },
  last: {
    kind: "error",
    text: "You can't delete your only sign-in method while your organisation requires one. Add another method first, then delete this one.",
  },
  missing: { kind: "error", text: "That sign-in method no longer exists." },
};

export default async function SecureAccountPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const eventId = parseEventId(params.event);
  const session = await requireSession();
  // The flow needs a second factor from the last few minutes (R-A13.1): the route handler asks.
  if (!(await isFresh(session))) {
    redirect(eventId === null ? "/secure-account/start" : `/secure-account/start?event=${eventId}`);
  }
  const db = await getDb();
  const progress = await getSecureAccountProgress(db, session.user.id, session.authenticatedAt);
  // The password comes first and once; the later steps only after it (R-A13.2).
  let step = parseStep(params.step);
  if (!progress.passwordChanged && step !== "password") redirect(stepPath("password", eventId));
  if (progress.passwordChanged && step === "password") step = "sign-out";
  if (step === "done" && !progress.secured) redirect(stepPath("report", eventId));

  const number = STEPS.indexOf(step) + 1;
  return (
    <>
      <p className="text-sm font-medium text-slate-600">
        Secure your account · Step {number} of {STEPS.length}
      </p>
      <h1 className="mt-1 text-3xl font-semibold">{STEP_TITLES[step]}</h1>
      <div className="mt-4">
        {step === "password" && <PasswordStep eventId={eventId} />}
        {step === "sign-out" && <SignOutStep eventId={eventId} />}
        {step === "review" && (
          <ReviewStep
            eventId={eventId}
            userId={session.user.id}
            outcome={typeof params.outcome === "string" ? params.outcome : undefined}
          />
        )}
        {step === "report" && <ReportStep eventId={eventId} />}
        {step === "done" && <DoneStep progress={progress} />}
      </div>
    </>
  );
}

function EventField({ eventId }: { eventId: number | null }) {
  return eventId === null ? null : <input type="hidden" name="event" value={eventId} />;
}

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

function PasswordStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">
        If someone else knows your password, changing it locks them out. Changing it also signs you
        out on every browser and device, and this browser is signed in again straight away.
      </p>
      <div className="mt-6">
        <ChangePasswordForm action={changePasswordStepAction} minLength={PASSWORD_MIN_LENGTH}>
          <EventField eventId={eventId} />
        </ChangePasswordForm>
      </div>
    </>
  );
}

function SignOutStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <Alert kind="success">Your password was changed.</Alert>
      <p className="mt-4 max-w-prose text-slate-700">
        Every browser and device that was signed in to your account has been signed out, and
        browsers where someone chose &ldquo;Don&apos;t ask again&rdquo; must verify again. Sign out
        everywhere once more to end anything that signed in since, then review your security info.
      </p>
      <form action={signOutEverywhereStepAction} className="mt-6">
        <EventField eventId={eventId} />
        <button type="submit" className={dangerButton}>
          Sign out everywhere
        </button>
      </form>
    </>
  );
}

async function ReviewStep({
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
          const name = `Delete ${kindName} ${method.label}`;
          const isRecent = isRecentlyAdded(method.createdAt, now);
          return (
            <li key={method.id} className="flex flex-wrap items-center justify-between gap-3 p-4">
              <div>
                <p className="font-medium">
                  {kindName}
                  {isRecent && (
                    <span className="ml-2 rounded bg-amber-100 px-2 py-0.5 text-sm font-semibold text-amber-900">
                      Added recently
                    </span>
                  )}
                </p>
                <p className="text-slate-700">
                  {method.label}
                  {method.isDefault && " · default"}
                </p>
                <p className="text-sm text-slate-600">
                  Added <LocalTime value={method.createdAt} />
                  {method.lastUsedAt && (
                    <>
                      {" "}
                      · last used <LocalTime value={method.lastUsedAt} />
                    </>
                  )}
                </p>
              </div>
              {isRecent ? (
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
                  title={`Delete ${kindName} ${method.label}?`}
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
              )}
            </li>
          );
        })}
        {summary.methods.length > 0 && (
          <li className="flex flex-wrap items-center justify-between gap-3 p-4">
            <div>
              <p className="font-medium">Recovery codes</p>
              <p className="text-slate-700">
                {summary.recoveryCodesLeft} {summary.recoveryCodesLeft === 1 ? "code" : "codes"}{" "}
                left. If someone may have seen them, create new ones: the old ones stop working.
              </p>
            </div>
            <RecoveryCodesPanel
              action={regenerateRecoveryCodesStepAction}
              buttonLabel={
                summary.recoveryCodesLeft > 0
                  ? "Regenerate recovery codes"
                  : "Create recovery codes"
              }
            />
          </li>
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

function ReportStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">
        Tell the {getEnv().ORG_NAME} helpdesk what you noticed. Your report
        {eventId !== null ? " and the sign-in you marked are" : " is"} sent to them as a case; they
        may contact you.
      </p>
      <div className="mt-6">
        <ReportForm eventId={eventId} maxLength={CASE_MESSAGE_MAX_LENGTH} />
      </div>
      <form action={skipReportAction} className="mt-4">
        <EventField eventId={eventId} />
        <button type="submit" className={secondaryButton}>
          Skip
        </button>
      </form>
    </>
  );
}

function DoneStep({ progress }: { progress: SecureAccountProgress }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">Here is what was done. We also emailed you.</p>
      <ul aria-label="What was done" className="mt-4 list-disc space-y-2 pl-6">
        {progress.passwordChangedAt && (
          <li>
            Your password was changed (<LocalTime value={progress.passwordChangedAt} />
            ).
          </li>
        )}
        <li>
          {progress.sessionsEnded === 1
            ? "1 sign-in was ended"
            : `${progress.sessionsEnded} sign-ins were ended`}{" "}
          on your browsers and devices, and no browser skips verification any more.
        </li>
        <li>
          {progress.methodsRemoved === 0
            ? "No sign-in method was deleted."
            : progress.methodsRemoved === 1
              ? "1 sign-in method was deleted."
              : `${progress.methodsRemoved} sign-in methods were deleted.`}
        </li>
        {progress.recoveryCodesRegenerated && (
          <li>New recovery codes were created; the old ones no longer work.</li>
        )}
        {progress.caseReferences.length > 0 ? (
          <li>
            Your report was sent to the helpdesk. Reference:{" "}
            <strong>{progress.caseReferences.join(", ")}</strong>.
          </li>
        ) : (
          <li>No report was sent to the helpdesk.</li>
        )}
      </ul>
      <p className="mt-6 max-w-prose text-slate-700">
        Update the password saved in your other apps (mail, VPN, wifi). If something still looks
        wrong, contact the helpdesk at{" "}
        <a className="text-brand-700 underline" href={`mailto:${getEnv().HELPDESK_EMAIL}`}>
          {getEnv().HELPDESK_EMAIL}
        </a>
        .
      </p>
      <div className="mt-6 flex flex-wrap gap-3">
        <Link href="/security-info" className={primaryButton}>
          Go to Security info
        </Link>
        <Link href="/devices" className={secondaryButton}>
          See your devices
        </Link>
      </div>
    </>
  );
}
