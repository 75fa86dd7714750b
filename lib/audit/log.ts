import type { Executor } from "@/lib/db/client";
import { auditLog } from "@/lib/db/schema";
import type { AuditAction } from "./events";

export type AuditEntry = {
  action: AuditAction;
  outcome: "success" | "failure" | "denied";
  actorId?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never a password, code, secret or raw token (R-A16.3). */
  details?: Record<string, string | number | boolean | null>;
};

/** Appends one audit record; pass the transaction that makes the change it describes. */
export async function writeAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    action: entry.action,
    outcome: entry.outcome,
    actorId: entry.actorId ?? null,
    subjectId: entry.subjectId ?? null,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent?.slice(0, 512) ?? null,
    details: entry.details ?? null,
  });
}
