"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import {
  agentMayActOn,
  parseAgentReason,
  recordAgentAction,
  requireAgentAction,
} from "@/lib/admin/guard";
import {
  getTokenHolder,
  getTokenHolders,
  importTokens,
  previewTokenImport,
  TOKEN_IMPORT_MAX_BYTES,
  type TokenImportPreview,
} from "@/lib/admin/hardware-tokens";
import { getDb } from "@/lib/db/client";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import { limitFor, METHOD_KIND_INFO } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import type { AgentActionState } from "../agent-action-state";
import { isUuid } from "@/lib/security/ids";

export type ImportState = ActionState & { preview?: TokenImportPreview; imported?: number };

/** The CSV as exactly one string, from the text box or an uploaded file. */
async function readCsv(formData: FormData): Promise<string | null> {
  const file = formData.get("file");
  if (file instanceof File && file.size > 0) {
    if (file.size > TOKEN_IMPORT_MAX_BYTES) return null;
    return file.text();
  }
  const text = formData.getAll("csv");
  if (text.length !== 1 || typeof text[0] !== "string") return null;
  return text[0].length <= TOKEN_IMPORT_MAX_BYTES ? text[0] : null;
}

/**
 * "Check file" (a dry run that changes nothing) and "Import tokens" (nothing unless every row is
 * clean). Administrators only: the inventory holds the secrets of every token (R-A4.6).
 */
export async function importTokensAction(
  _state: ImportState,
  formData: FormData,
): Promise<ImportState> {
  const agent = await requireAgentAction("/admin/tokens/import", { adminOnly: true });
  const csv = await readCsv(formData);
  if (!csv?.trim()) {
    return {
      status: "error",
      fieldErrors: { csv: ["Paste the vendor's CSV file or choose it (at most 1 MB)."] },
    };
  }
  const db = await getDb();
  if (formData.get("intent") !== "import") {
    const preview = await previewTokenImport(db, csv);
    return preview.problems.length > 0
      ? { status: "error", message: "The file has problems; nothing was imported.", preview }
      : {
          status: "success",
          message: `The file is clean: ${preview.rows.length} tokens can be imported.`,
          preview,
        };
  }
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const context = await getRequestContext();
  const result = await db.transaction(async (tx) => {
    const imported = await importTokens(tx, csv, {
      id: agent.id,
      ...context,
      reason: why.data.reason,
    });
    if (!imported.ok) return imported;
    // Tokens the file names a holder for are assignments too: told to each person.
    if (imported.assigned.length > 0) {
      const holders = await getTokenHolders(
        tx,
        imported.assigned.map((a) => a.userId),
      );
      for (const { userId, serialNumber } of imported.assigned) {
        const subject = holders.find((h) => h.id === userId);
        if (!subject) continue;
        await recordAgentAction(tx, {
          agent,
          subject,
          action: "assign_token",
          reason: why.data.reason,
          ticket: why.data.ticket ?? null,
          outcome: "success",
          details: { serialNumber, imported: true },
          notice: "hardware_token.assigned",
          noticeDetail: `serial number ${serialNumber}.`,
        });
      }
    }
    return imported;
  });
  if (!result.ok) {
    return {
      status: "error",
      message: "The file has problems; nothing was imported.",
      preview: { rows: [], problems: result.problems },
    };
  }
  revalidatePath("/admin/tokens");
  return {
    status: "success",
    message: `${result.imported} tokens imported.`,
    imported: result.imported,
  };
}

/**
 * An agent activates a token for its holder with the code the holder reads out (fresh second
 * factor, reason, right to act on the holder; the code's step is spent as for the holder).
 */
export async function activateTokenForUserAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const agent = await requireAgentAction("/admin/tokens");
  const tokenId = formData.get("tokenId");
  const code = normaliseOtp(formData.get("code"));
  if (typeof tokenId !== "string" || !isUuid(tokenId)) {
    return { status: "error", message: "That token does not exist." };
  }
  if (!code) return { status: "error", fieldErrors: { code: ["Enter the 6-digit code."] } };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const context = await getRequestContext();
  const db = await getDb();
  const outcome = await db.transaction(async (tx) => {
    const holder = await getTokenHolder(tx, tokenId);
    if (!holder) return { ok: false as const, message: "That token is not assigned to anyone." };
    const refusal = agentMayActOn(agent, holder, "assign_token");
    if (refusal) return { ok: false as const, message: refusal };
    const result = await activateHardwareToken(tx, holder.id, tokenId, code);
    if (!result.ok) {
      return {
        ok: false as const,
        message:
          result.reason === "wrong_code"
            ? "That code didn't work. Ask for the code the token shows now."
            : result.reason === "limit_reached"
              ? `The person already has ${limitFor("hardware_token")} ${METHOD_KIND_INFO.hardware_token.limitName}.`
              : "That token is not waiting to be activated.",
      };
    }
    // Recorded as the agent's act, with the reason, and told to the holder as the helpdesk's.
    const { audit, notice, serialNumber } = result.value;
    await writeAudit(tx, {
      action: audit.action,
      outcome: "success",
      actorId: agent.id,
      subjectId: holder.id,
      ...context,
      details: { ...audit.details, reason: why.data.reason, ticket: why.data.ticket ?? null },
    });
    await queueSecurityNotice(
      tx,
      holder,
      notice.event,
      context,
      `${notice.detail}, activated by the helpdesk`,
    );
    return { ok: true as const, serialNumber };
  });
  if (!outcome.ok) return { status: "error", message: outcome.message };
  revalidatePath("/admin/tokens");
  return { status: "success", message: `Token ${outcome.serialNumber} is active.` };
}
