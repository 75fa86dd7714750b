import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { choiceLabel, getMethodSummary } from "@/lib/mfa/methods";
import { chooseWayAction } from "../actions";

export const metadata: Metadata = { title: "Verify your identity" };

export default async function AnotherWayPage() {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin");
  const { choices, methods } = await getMethodSummary(await getDb(), current.transaction.userId);
  // No usable way: the second step's page says why.
  if (choices.length === 0) redirect("/signin/verify");
  return (
    <>
      <h1 className="mb-6 text-2xl font-semibold">Verify your identity</h1>
      <form action={chooseWayAction}>
        <ul className="space-y-3">
          {choices.map((choice) => (
            <li key={`${choice.option}:${choice.methodId ?? ""}`}>
              <button
                type="submit"
                name="choice"
                value={`${choice.option}:${choice.methodId ?? ""}`}
                className="w-full rounded-md border border-slate-400 px-4 py-3 text-left font-medium hover:bg-slate-100"
              >
                {choiceLabel(choice, methods)}
              </button>
            </li>
          ))}
        </ul>
      </form>
      <p className="mt-6 text-slate-700">
        Can&apos;t use any of these? Contact the helpdesk at{" "}
        <a className="text-brand-700 underline" href={`mailto:${getEnv().HELPDESK_EMAIL}`}>
          {getEnv().HELPDESK_EMAIL}
        </a>
        .
      </p>
    </>
  );
}
