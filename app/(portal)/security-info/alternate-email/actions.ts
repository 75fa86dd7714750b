"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import {
  beginAlternateEmail,
  confirmAlternateEmail,
  removeAlternateEmail,
} from "@/lib/mfa/alternate-email";
import { getRequestContext } from "@/lib/security/request-context";

// Adding, changing and removing the alternate email are security changes: each action checks a
// second factor no older than the step-up window itself (R-A9.1). Codes are bound to the session.

const HERE = "/security-info/alternate-email";

/** Problems shown on the page; the URL carries only the key, never text. */
export type AlternateEmailProblem = "invalid" | "same" | "limit" | "dead" | "wrong" | "missing";

const PROBLEM_OF = {
  invalid: "invalid",
  same_as_sign_in: "same",
  limit: "limit",
  dead: "dead",
  wrong_code: "wrong",
  missing: "missing",
} as const;

/** "Add alternate email" / "Change" on Security info: to the form, after a fresh second factor. */
export async function openAlternateEmailAction(): Promise<void> {
  await requireFreshSession(HERE);
  redirect(HERE);
}

/** "Send code": keeps the address as pending and emails it a code. */
export async function sendAlternateEmailCodeAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const email = formData.get("email");
  const started = await beginAlternateEmail(
    await getDb(),
    session.user,
    session.id,
    typeof email === "string" ? email : "",
    await getRequestContext(),
  );
  redirect(started.ok ? `${HERE}?sent=1` : `${HERE}?problem=${PROBLEM_OF[started.reason]}`);
}

/** "Verify": the emailed code makes the address the alternate email. */
export async function verifyAlternateEmailAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const code = formData.get("code");
  const confirmed = await confirmAlternateEmail(
    await getDb(),
    session.user,
    session.id,
    typeof code === "string" ? code : "",
    await getRequestContext(),
  );
  if (!confirmed.ok) redirect(`${HERE}?sent=1&problem=${PROBLEM_OF[confirmed.reason]}`);
  revalidatePath("/security-info");
  redirect("/security-info?outcome=alternate-email-added");
}

/** "Delete" on Security info: the alternate email is removed. */
export async function deleteAlternateEmailAction(): Promise<void> {
  const session = await requireFreshSession("/security-info");
  const removed = await removeAlternateEmail(
    await getDb(),
    session.user,
    await getRequestContext(),
  );
  revalidatePath("/security-info");
  redirect(`/security-info?outcome=${removed ? "alternate-email-deleted" : "missing"}`);
}
