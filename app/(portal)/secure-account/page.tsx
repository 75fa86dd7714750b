import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { requireSession } from "@/lib/auth/current";
import { getSecureAccountProgress } from "@/lib/auth/secure-account";
import { isFresh } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { DoneStep } from "./_components/done-step";
import { PasswordStep } from "./_components/password-step";
import { ReportStep } from "./_components/report-step";
import { ReviewStep } from "./_components/review-step";
import { SignOutStep } from "./_components/sign-out-step";
import { parseEventId, parseStep, STEP_TITLES, STEPS, stepPath } from "./flow";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export async function generateMetadata({
  searchParams,
}: {
  searchParams: SearchParams;
}): Promise<Metadata> {
  return { title: STEP_TITLES[parseStep((await searchParams).step)] };
}

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
