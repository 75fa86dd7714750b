"use server";

import { redirect } from "next/navigation";
import { getSignInEvent, setVerdict } from "@/lib/activity/sign-in-events";
import { requireSession } from "@/lib/auth/current";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { parseFilter } from "./view";

export type VerdictOutcome = "confirmed" | "network-known" | "missing";

function eventIdFrom(formData: FormData): number | null {
  const value = formData.get("eventId");
  if (typeof value !== "string" || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

function backTo(formData: FormData, outcome: VerdictOutcome): string {
  const show = parseFilter(formData.get("show"));
  return `/sign-ins?${new URLSearchParams({ ...(show === "all" ? {} : { show }), done: outcome })}`;
}

/**
 * "This was me". On a sign-in from a hosting or VPN network it also lowers that network's risk
 * for this person — a change to how their sign-ins are checked, so it needs a fresh second
 * factor like any security change (R-A9.1).
 */
export async function confirmSignInAction(formData: FormData): Promise<void> {
  const session = await requireSession();
  const eventId = eventIdFrom(formData);
  const db = await getDb();
  // Scoped by the session's user: another person's event is "missing" (R-A14.2).
  const event = eventId === null ? null : await getSignInEvent(db, session.user.id, eventId);
  if (!event) redirect(backTo(formData, "missing"));
  if (event.riskReasons.includes("hosting_network")) await requireFreshSession("/sign-ins");
  const result = await setVerdict(
    db,
    session.user.id,
    event.id,
    "confirmed",
    await getRequestContext(),
  );
  if (!result) redirect(backTo(formData, "missing"));
  redirect(backTo(formData, result.networkMarkedKnown ? "network-known" : "confirmed"));
}

/** "This wasn't me": marks the sign-in reported and starts "Secure your account" (R-A13.1). */
export async function reportSignInAction(formData: FormData): Promise<void> {
  const session = await requireSession();
  const eventId = eventIdFrom(formData);
  const result =
    eventId === null
      ? null
      : await setVerdict(
          await getDb(),
          session.user.id,
          eventId,
          "reported",
          await getRequestContext(),
        );
  if (!result) redirect(backTo(formData, "missing"));
  redirect(`/secure-account?event=${result.id}`);
}
