import "server-only";
import { redirect } from "next/navigation";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import type { Registrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { backupStatus } from "@/lib/mfa/backup";
import { getMethodSummary } from "@/lib/mfa/methods";
import type { BrowserState } from "@/lib/auth/sign-in";
import type { RequestContext } from "@/lib/types/request";
import { getRequestContext } from "@/lib/security/request-context";

// What the wizard's confirm actions share around confirmEnrolment (lib/auth/enrolment.ts).

/** While wrong codes are paused; the same whatever the kind (R-A11.5). */
export const THROTTLED_MESSAGE = "Too many wrong codes. Wait a few minutes, then try again.";

/** This request's part in an enrolment: where it came from, and what this browser remembers. */
export async function enrolmentRequest(): Promise<{
  context: RequestContext;
  browser: BrowserState;
}> {
  return { context: await getRequestContext(), browser: await readBrowserState() };
}

/**
 * Where the wizard goes once a method is added. Mid-sign-in: a backup of another kind while one
 * is asked for (R-A9.7), then recovery codes if there are none, then "Success!". From Security
 * info, straight to "Success!".
 */
export async function stepAfterMethod(registrant: Registrant): Promise<string> {
  if (registrant.via === "session") return "/register/success";
  const summary = await getMethodSummary(await getDb(), registrant.user.id);
  if (backupStatus(summary).asked) return "/register/backup";
  return summary.recoveryCodesLeft === 0 ? "/register/recovery-codes" : "/register/success";
}

/**
 * Mid-sign-in, the steps after the backup stay closed while a required backup is missing; the
 * session itself waits for it in finishSignIn (lib/auth/next-auth.ts).
 */
export async function requireBackupWhenDue(registrant: Registrant): Promise<void> {
  if (registrant.via !== "sign-in") return;
  const summary = await getMethodSummary(await getDb(), registrant.user.id);
  if (backupStatus(summary).required) redirect("/register/backup");
}
