import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import type { RequestContext } from "@/lib/types/request";
import { defaultCandidates, getMethodSummary, setDefaultMethod } from "./methods";
import { defaultMethodName } from "./registry";

/**
 * "Change default sign-in method": `choice` is one of the dialog's values ("methodId:option"),
 * never a restricted method while a stronger one exists (R-A5.6). Audited and told to the person
 * in the same transaction; false when the choice is not one the person has.
 */
export async function changeDefaultMethod(
  db: Db,
  user: { id: string; email: string; displayName: string },
  choice: string,
  context: RequestContext,
): Promise<boolean> {
  const [methodId = "", option] = choice.split(":");
  return db.transaction(async (tx) => {
    const summary = await getMethodSummary(tx, user.id);
    const candidate = defaultCandidates(summary).find((c) => c.value === `${methodId}:${option}`);
    if (!candidate) return false;
    if (!(await setDefaultMethod(tx, user.id, methodId, candidate.option))) return false;
    await writeAudit(tx, {
      action: "mfa.default.changed",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: { methodId, option: candidate.option },
    });
    await queueSecurityNotice(
      tx,
      user,
      "method.default_changed",
      context,
      defaultMethodName(candidate.method, candidate.option),
    );
    return true;
  });
}
