import { writeAudit } from "@/lib/audit/log";
import { mfaRequiredFor } from "@/lib/settings/policy";
import type { Executor } from "@/lib/db/client";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { keepNumberOf } from "./former-phone-numbers";
import { deleteOwnMethod, getMethodSummary, getOwnMethod, setDefaultMethod } from "./methods";
import { defaultMethodName, methodName } from "./registry";
import type { RequestContext } from "@/lib/types/request";

export type RemovalOutcome = "deleted" | "missing" | "last";

/**
 * Removes one of the person's own methods in one transaction (R-A9.4, R-A9.5): a
 * foreign or unknown id is "missing", the only method while MFA is required is "last" and
 * stays; removing the default makes `newDefaultId` (or the next method) the default. A phone
 * removed with `keepNumber` (the person still has the number) leaves a number that may later
 * prove a recovery (docs/decisions/0023). Each change is audited and told to the person. The
 * caller checks the step-up freshness (R-A9.1).
 */
export async function removeOwnMethod(
  db: Executor,
  user: { id: string; email: string; displayName: string; mfaRequired: boolean },
  methodId: string,
  context: RequestContext,
  { newDefaultId, keepNumber = false }: { newDefaultId?: string | null; keepNumber?: boolean } = {},
): Promise<RemovalOutcome> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const method = await getOwnMethod(tx, user.id, methodId);
    if (!method) return "missing";
    const { methods } = await getMethodSummary(tx, user.id);
    const remaining = methods.filter((m) => m.id !== method.id);
    if (remaining.length === 0 && mfaRequiredFor(user)) return "last";
    if (keepNumber) await keepNumberOf(tx, user.id, method.id);
    await deleteOwnMethod(tx, user.id, method.id);
    const audit = { outcome: "success" as const, actorId: user.id, subjectId: user.id, ...context };
    await writeAudit(tx, {
      action: "mfa.method.removed",
      ...audit,
      details: { kind: method.kind, methodId: method.id, keepNumber },
    });
    await queueSecurityNotice(tx, user, "method.removed", context, methodName(method));
    if (method.isDefault && remaining.length > 0) {
      const chosen = remaining.find((m) => m.id === newDefaultId) ?? remaining[0]!;
      await setDefaultMethod(tx, user.id, chosen.id);
      await writeAudit(tx, {
        action: "mfa.default.changed",
        ...audit,
        details: { methodId: chosen.id },
      });
      await queueSecurityNotice(
        tx,
        user,
        "method.default_changed",
        context,
        defaultMethodName(chosen),
      );
    }
    return "deleted";
  });
}
