import type { Executor } from "@/lib/db/client";
import { backupMethodRule, countsAsBackup } from "@/lib/settings/policy";
import type { BackupMethodRule } from "@/lib/settings/store";
import { getMethodSummary } from "./methods";
import { kindOffered, type MethodKind, type MethodView, type Role } from "./registry";

/**
 * What is lost together. A backup must survive what takes the first method away: an app and a
 * paired phone go with the handset, while a phone number moves to a new SIM, a passkey may be
 * synced, and a token is a device of its own.
 */
const LOST_TOGETHER: Record<MethodKind, "handset" | "number" | "passkey" | "token"> = {
  authenticator_app: "handset",
  companion_app: "handset",
  mobile_phone: "number",
  alternate_phone: "number",
  office_phone: "number",
  passkey: "passkey",
  hardware_token: "token",
};

/** What the backup step offers, in this order: the kinds the first-time wizard sets up. */
const BACKUP_CHOICES: readonly MethodKind[] = [
  "mobile_phone",
  "authenticator_app",
  "companion_app",
  "passkey",
];

export type BackupStatus = {
  rule: BackupMethodRule;
  /** Two methods that are not lost together, one of them of a kind that counts. */
  hasBackup: boolean;
  /** The kinds this person could add as a backup now. */
  choices: MethodKind[];
  /** Whether to ask: a backup is missing, one can be added, and the rule is not off. */
  asked: boolean;
  /** Whether the person may not go on without one ("Skip for now" is not offered). */
  required: boolean;
};

/**
 * Whether a person has a backup method and what they could add (R-A9.7). A rule that cannot be
 * met — nothing that counts may be added — is never required, so nobody is shut out by it.
 */
export function backupStatus(summary: { methods: MethodView[]; role: Role }): BackupStatus {
  const rule = backupMethodRule();
  const { methods, role } = summary;
  const hasBackup = methods.some((first) =>
    methods.some(
      (second) =>
        LOST_TOGETHER[first.kind] !== LOST_TOGETHER[second.kind] &&
        (countsAsBackup(first.kind) || countsAsBackup(second.kind)),
    ),
  );
  const anyCounts = methods.some((method) => countsAsBackup(method.kind));
  const choices =
    methods.length === 0 || hasBackup
      ? []
      : BACKUP_CHOICES.filter(
          (kind) =>
            kindOffered(kind, role) &&
            (countsAsBackup(kind) || anyCounts) &&
            !methods.some((method) => LOST_TOGETHER[method.kind] === LOST_TOGETHER[kind]),
        );
  const asked = rule !== "off" && choices.length > 0;
  return { rule, hasBackup, choices, asked, required: asked && rule === "required" };
}

/**
 * Whether a session must wait for this person's backup: the rule is "required" and one is
 * missing. Asks the database only when the rule is "required", so a sign-in pays nothing for it
 * otherwise.
 */
export async function requiredBackupMissing(db: Executor, userId: string): Promise<boolean> {
  if (backupMethodRule() !== "required") return false;
  return backupStatus(await getMethodSummary(db, userId)).required;
}
