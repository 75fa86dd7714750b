"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import {
  changeRole,
  deleteMethod,
  disableAccount,
  enableAccount,
  forgetBrowser,
  requireReregister,
  resetPassword,
  revokeMfaSessions,
  setRegistrationGrace,
  signOutAllSessions,
  unlockAccount,
  issueAccessPassTo,
  assignTokenTo,
  type AgentActionResult,
} from "@/lib/admin/account-actions";
import type { AgentReasonInput } from "@/lib/admin/agent-rules";
import {
  checkCallerCode,
  finishPushVerification,
  startEmailVerification,
  startPushVerification,
  startTextVerification,
} from "@/lib/admin/caller-verification";
import { parseAgentReason, requireAgentAction, type Agent } from "@/lib/admin/guard";
import { isUserId } from "@/lib/admin/users";
import { ROLES } from "@/lib/auth/users";
import { getDb, type Db } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import type { AgentActionState } from "../../agent-action-state";
import type { RequestContext } from "@/lib/types/request";

// Every action here checks, itself: an agent with a fresh second factor (R-A9.1, R-A17.1), a
// reason (R-A16.2), and the agent's right to act on this account (in lib/admin, on the locked row).

type Perform<T> = (
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) => Promise<AgentActionResult<T>>;

async function run<T>(
  formData: FormData,
  perform: Perform<T>,
  success: string | ((value: T) => string),
  options: {
    adminOnly?: boolean;
    secret?: (value: T) => string;
    /** Other pages showing what the action changes. */
    revalidate?: string[];
  } = {},
): Promise<AgentActionState> {
  // The guard comes before anything is read: a request of any shape is refused alike.
  const userId = formData instanceof FormData ? formData.get("userId") : null;
  const page = isUserId(userId) ? `/admin/users/${userId}` : "/admin/users";
  const agent = await requireAgentAction(page, { adminOnly: options.adminOnly });
  if (!isUserId(userId)) return { status: "error", message: "That account does not exist." };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const result = await perform(await getDb(), agent, userId, why.data, await getRequestContext());
  if (!result.ok) return { status: "error", message: result.message };
  for (const path of [page, ...(options.revalidate ?? [])]) revalidatePath(path);
  return {
    status: "success",
    message: typeof success === "string" ? success : success(result.value),
    ...(options.secret ? { secret: options.secret(result.value) } : {}),
  };
}

/** "Require re-register MFA". */
export async function requireReregisterAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    requireReregister,
    "Every sign-in method was removed and the account signed out. The person sets up a method at their next sign-in.",
  );
}

/** "Revoke MFA sessions". */
export async function revokeMfaSessionsAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    revokeMfaSessions,
    "Every browser asks for a second factor again at the next sign-in.",
  );
}

/** "Forget" on one of the account's remembered browsers. */
export async function forgetBrowserAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const reference = formData instanceof FormData ? formData.get("browser") : null;
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      forgetBrowser(
        db,
        agent,
        subjectId,
        typeof reference === "string" ? reference : "",
        why,
        context,
      ),
    "That browser asks for a second factor at its next sign-in.",
  );
}

/** "Sign out all sessions". */
export async function signOutAllSessionsAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(formData, signOutAllSessions, "Every session of the account was signed out.");
}

/** "Reset password": the temporary password comes back once, in this answer only. */
export async function resetPasswordAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    resetPassword,
    "The password was reset and every session signed out. Give the person this temporary password; they choose a new one when they sign in. It is shown only once.",
    { secret: (value) => value.temporaryPassword },
  );
}

/** "Unlock account". */
export async function unlockAccountAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(formData, unlockAccount, "The account's failed attempts were cleared.");
}

/** "Disable account". */
export async function disableAccountAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(formData, disableAccount, "The account was disabled and signed out everywhere.");
}

/** "Enable account". */
export async function enableAccountAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(formData, enableAccount, "The account was enabled.");
}

/** "Allow postponing registration": the person joins the registration grace period. */
export async function allowPostponingAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      setRegistrationGrace(db, agent, subjectId, true, why, context),
    "The person may postpone setting up a sign-in method, as the organisation's grace period allows.",
  );
}

/** "Stop allowing postponement". */
export async function stopPostponingAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      setRegistrationGrace(db, agent, subjectId, false, why, context),
    "The person is no longer chosen to postpone setting up a sign-in method.",
  );
}

/** "Delete" on one of the account's methods. */
export async function deleteMethodAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const methodId = formData instanceof FormData ? formData.get("methodId") : null;
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      deleteMethod(
        db,
        agent,
        subjectId,
        typeof methodId === "string" ? methodId : "",
        why,
        context,
      ),
    "The sign-in method was deleted.",
  );
}

const roleSchema = z.enum(ROLES);

/** "Change role" (administrators only). */
export async function changeRoleAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const role = roleSchema.safeParse(formData instanceof FormData ? formData.get("role") : null);
  if (!role.success) {
    // The guard runs first all the same: a refusal must not depend on the form being valid.
    const userId = formData instanceof FormData ? formData.get("userId") : null;
    await requireAgentAction(isUserId(userId) ? `/admin/users/${userId}` : "/admin/users", {
      adminOnly: true,
    });
    return { status: "error", fieldErrors: { role: ["Choose a role"] } };
  }
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      changeRole(db, agent, subjectId, role.data, why, context),
    "The role was changed.",
    { adminOnly: true },
  );
}

/** "Issue Temporary Access Pass": the pass is shown once, in the dialog (R-A10.1, R-A10.5). */
export async function issueAccessPassAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    issueAccessPassTo,
    ({ until }) =>
      `Temporary Access Pass issued. It works once, until ${until}. Read it to the person now: it is not shown again.`,
    { secret: (value) => value.pass },
  );
}

/** "Assign hardware token": the person then activates it in Security info. */
export async function assignTokenAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const tokenId = formData instanceof FormData ? formData.getAll("tokenId") : [];
  if (tokenId.length !== 1 || typeof tokenId[0] !== "string" || !tokenId[0]) {
    // The guard runs first all the same: a refusal must not depend on the form being valid.
    const userId = formData instanceof FormData ? formData.get("userId") : null;
    await requireAgentAction(isUserId(userId) ? `/admin/users/${userId}` : "/admin/users");
    return { status: "error", fieldErrors: { tokenId: ["Choose a token."] } };
  }
  const chosen = tokenId[0];
  return run(
    formData,
    (db, agent, subjectId, why, context) =>
      assignTokenTo(db, agent, subjectId, chosen, why, context),
    ({ serialNumber }) =>
      `Token ${serialNumber} assigned. The person activates it in Security info by entering the code it shows.`,
    { revalidate: ["/admin/tokens"] },
  );
}

// ── "Verify identity" (R-A10.4) ─────────────────────────────────────────────
// No reason is asked: a check changes nothing on the account. Each action still checks the agent,
// a fresh second factor and the agent's right to check this person (in lib/admin).

/** What "Verify identity" shows after sending: the number to read out, or where the code went. */
export type VerifyCallerState = ActionState & {
  push?: { verificationId: string; number: string };
  code?: { verificationId: string; method: "sms" | "email"; sentTo: string };
};

function single(formData: FormData, name: string): string {
  const values = formData instanceof FormData ? formData.getAll(name) : [];
  return values.length === 1 && typeof values[0] === "string" ? values[0] : "";
}

async function verifier(
  formData: FormData,
): Promise<{ agent: Agent; userId: string; page: string }> {
  // The guard comes before anything else is read, as for every console action.
  const userId = single(formData, "userId");
  const page = isUserId(userId) ? `/admin/users/${userId}` : "/admin/users";
  const agent = await requireAgentAction(page);
  return { agent, userId, page };
}

/** "Send a request to their app". */
export async function sendVerificationRequestAction(
  _state: VerifyCallerState,
  formData: FormData,
): Promise<VerifyCallerState> {
  const { agent, userId, page } = await verifier(formData);
  const started = await startPushVerification(
    await getDb(),
    agent,
    userId,
    await getRequestContext(),
  );
  if (!started.ok) return { status: "error", message: started.message };
  revalidatePath(page);
  return {
    status: "success",
    push: { verificationId: started.verificationId, number: started.number },
  };
}

/** Settles the request once the person answered: what the waiting dialog submits by itself. */
export async function finishVerificationRequestAction(
  _state: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const { agent, userId, page } = await verifier(formData);
  const finished = await finishPushVerification(
    await getDb(),
    agent,
    userId,
    single(formData, "verification"),
    await getRequestContext(),
  );
  revalidatePath(page);
  if (finished.ok) return { status: "success" };
  // The dialog already says how the person answered; only something else needs saying.
  const shown = ["denied", "reported", "expired"].includes(finished.reason);
  return shown ? { status: "error" } : { status: "error", message: finished.message };
}

/** "Text a code" (with the phone chosen) or "Email a code" (to the alternate email). */
export async function sendCallerCodeAction(
  _state: VerifyCallerState,
  formData: FormData,
): Promise<VerifyCallerState> {
  const { agent, userId, page } = await verifier(formData);
  const via = single(formData, "via") === "email" ? "email" : "sms";
  const db = await getDb();
  const context = await getRequestContext();
  const sent =
    via === "email"
      ? await startEmailVerification(db, agent, userId, context)
      : await startTextVerification(db, agent, userId, single(formData, "phone"), context);
  if (!sent.ok) return { status: "error", message: sent.message };
  revalidatePath(page);
  return {
    status: "success",
    code: { verificationId: sent.verificationId, method: via, sentTo: sent.sentTo },
  };
}

/** "Check" the code the caller reads; the code is never sent back to the form. */
export async function checkCallerCodeAction(
  _state: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const { agent, userId, page } = await verifier(formData);
  const checked = await checkCallerCode(
    await getDb(),
    agent,
    userId,
    single(formData, "code"),
    await getRequestContext(),
  );
  revalidatePath(page);
  if (checked.ok) {
    return { status: "success", message: "That's the code: the caller is verified." };
  }
  if (checked.reason === "malformed") {
    return { status: "error", fieldErrors: { code: [checked.message] } };
  }
  return { status: "error", message: checked.message };
}
