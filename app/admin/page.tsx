import type { Metadata } from "next";
import Link from "next/link";
import { requireAgentPage } from "@/lib/admin/guard";
import { getRegistrationProgress } from "@/lib/admin/registration-progress";
import { describeGracePolicy } from "@/lib/auth/registration-grace";
import { getDb } from "@/lib/db/client";
import { registrationGracePolicy } from "@/lib/settings/policy";
import { RegistrationChart } from "./_components/registration-chart";

export const metadata: Metadata = { title: "Overview" };

/** The console's overview: how far the organisation's people are with setting up MFA. */
export default async function AdminOverview() {
  const agent = await requireAgentPage();
  const progress = await getRegistrationProgress(await getDb());
  const grace = registrationGracePolicy();
  const graceOn = grace.postponements !== null || grace.until !== null;
  return (
    <>
      <h1 className="text-3xl font-semibold">Overview</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        Find a person under{" "}
        <Link href="/admin/users" className="text-brand-700 underline">
          Users
        </Link>
        .
      </p>
      <section aria-labelledby="progress-heading" className="mt-8">
        <h2 id="progress-heading" className="text-xl font-semibold">
          Registration progress
        </h2>
        <p className="mt-2 max-w-prose text-slate-700">
          Active accounts with at least one sign-in method, counted from the day of their oldest
          method they still have.{" "}
          {graceOn
            ? `Registration grace period: on. ${describeGracePolicy(grace)}`
            : "Registration grace period: off."}
          {agent.role === "admin" && (
            <>
              {" "}
              <Link href="/admin/settings" className="text-brand-700 underline">
                Change it in Settings
              </Link>
              .
            </>
          )}
        </p>
        <RegistrationChart progress={progress} />
      </section>
    </>
  );
}
