"use client";

import { useId, useState } from "react";
import { secondaryButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import type { SignInFilter } from "@/lib/activity/sign-in-events";
import { confirmSignInAction, reportSignInAction } from "../actions";
import type { SignInEventView } from "../view";

const OUTCOME_STYLE: Record<SignInEventView["outcome"], string> = {
  "Successful sign-in": "text-green-800",
  "Unsuccessful sign-in": "text-red-800",
  "Unusual activity": "text-amber-900",
};

const VERDICT_TEXT = {
  confirmed: "You said this was you.",
  reported: "You reported that this wasn't you.",
} as const;

/** One sign-in: the summary, details on request, and the person's answer. All text, no HTML. */
export function SignInItem({ item, filter }: { item: SignInEventView; filter: SignInFilter }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  const summaryId = useId();
  return (
    <li className="p-4">
      {/* Names the sign-in for the buttons below, whose own names are the same on every item. */}
      <div id={summaryId} className="flex flex-wrap items-baseline justify-between gap-2">
        <p className={`font-semibold ${OUTCOME_STYLE[item.outcome]}`}>{item.outcome}</p>
        <p className="text-sm text-slate-700">
          <LocalTime value={new Date(item.at)} />
        </p>
      </div>
      <dl className="mt-2 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium">App</dt>
        <dd>{item.app}</dd>
        <dt className="font-medium">Location</dt>
        <dd>{item.location}</dd>
        <dt className="font-medium">Internet provider</dt>
        <dd>{item.isp}</dd>
        <dt className="font-medium">Browser and OS</dt>
        <dd>{item.device}</dd>
        <dt className="font-medium">IP address</dt>
        <dd>{item.ip}</dd>
      </dl>
      {item.riskReasons.length > 0 && (
        <p className="mt-2 text-sm text-amber-900">{item.riskReasons.join(" ")}</p>
      )}
      <button
        type="button"
        aria-describedby={summaryId}
        aria-expanded={open}
        aria-controls={detailsId}
        onClick={() => setOpen(!open)}
        className="mt-2 text-sm font-medium text-brand-700 underline"
      >
        {open ? "Hide details" : "Show details"}
      </button>
      <div id={detailsId} hidden={!open} className="mt-2">
        <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
          <dt className="font-medium">Result</dt>
          <dd>{item.status}</dd>
          <dt className="font-medium">Sign-in methods</dt>
          <dd>{item.methods}</dd>
          <dt className="font-medium">Why it looks unusual</dt>
          <dd>
            {item.riskReasons.length > 0 ? (
              <ul className="list-disc pl-5">
                {item.riskReasons.map((reason) => (
                  <li key={reason}>{reason}</li>
                ))}
              </ul>
            ) : (
              "Nothing unusual was noticed."
            )}
          </dd>
          <dt className="font-medium">Device type</dt>
          <dd>{item.deviceType}</dd>
          <dt className="font-medium">Network</dt>
          <dd>{item.network ?? "Unknown"}</dd>
          <dt className="font-medium">User agent</dt>
          <dd className="break-all">{item.userAgent ?? "Unknown"}</dd>
        </dl>
      </div>
      {item.verdict && <p className="mt-2 text-sm font-medium">{VERDICT_TEXT[item.verdict]}</p>}
      <div className="mt-3 flex flex-wrap gap-3">
        <form action={confirmSignInAction}>
          <input type="hidden" name="eventId" value={item.id} />
          <input type="hidden" name="show" value={filter} />
          <button type="submit" aria-describedby={summaryId} className={secondaryButton}>
            This was me
          </button>
        </form>
        <form action={reportSignInAction}>
          <input type="hidden" name="eventId" value={item.id} />
          <input type="hidden" name="show" value={filter} />
          <button type="submit" aria-describedby={summaryId} className={secondaryButton}>
            This wasn&apos;t me
          </button>
        </form>
      </div>
    </li>
  );
}
