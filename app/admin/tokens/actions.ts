"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import { activateTokenFor, importTokensFor } from "@/lib/admin/account-actions";
import { parseAgentReason, requireAgentAction } from "@/lib/admin/guard";
import {
  previewTokenImport,
  TOKEN_IMPORT_MAX_BYTES,
  type TokenImportPreview,
} from "@/lib/admin/hardware-tokens";
import { getDb } from "@/lib/db/client";
import { normaliseOtp } from "@/lib/mfa/second-factor";
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
  const result = await importTokensFor(db, agent, csv, why.data, await getRequestContext());
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
  const outcome = await activateTokenFor(
    await getDb(),
    agent,
    tokenId,
    code,
    why.data,
    await getRequestContext(),
  );
  if (!outcome.ok) return { status: "error", message: outcome.message };
  revalidatePath("/admin/tokens");
  return { status: "success", message: `Token ${outcome.value.serialNumber} is active.` };
}
