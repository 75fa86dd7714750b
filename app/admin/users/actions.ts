"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import { requireAgentAction } from "@/lib/admin/guard";
import {
  assignableRoles,
  checkUserImport,
  createUserByAgent,
  IMPORT_MAX_BYTES,
  importUsers,
  type ImportProblem,
} from "@/lib/admin/users";
import { newUserSchema } from "@/lib/auth/users";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import type { AgentActionState } from "../agent-action-state";

const HERE = "/admin/users";

/** "Create user": the generated password comes back once, in this answer only. */
export async function createUserAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const agent = await requireAgentAction(HERE);
  if (!(formData instanceof FormData)) return { status: "error", message: "Send the form." };
  const values = {
    email: String(formData.get("email") ?? ""),
    displayName: String(formData.get("displayName") ?? ""),
  };
  const parsed = newUserSchema.safeParse({
    ...values,
    role: formData.get("role"),
    mfaRequired: formData.get("mfaRequired") === "on",
  });
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues), values };
  }
  if (!assignableRoles(agent.role).includes(parsed.data.role)) {
    return {
      status: "error",
      fieldErrors: { role: ["Only an administrator can give this role"] },
      values,
    };
  }
  const { ip } = await getRequestContext();
  const created = await createUserByAgent(await getDb(), parsed.data, { id: agent.id, ip });
  if (!created.ok) {
    return {
      status: "error",
      fieldErrors: { email: ["An account with this email exists already"] },
      values,
    };
  }
  revalidatePath(HERE);
  return {
    status: "success",
    message: `The account for ${parsed.data.email} was created. Give the person this password; they choose a new one when they first sign in. It is shown only once.`,
    secret: created.password,
  };
}

export type ImportState =
  | { status: "idle" }
  | { status: "error"; message: string; problems: ImportProblem[] }
  | { status: "checked"; rows: number }
  | { status: "imported"; created: number };

/** "Import users": "Check file" reports every bad row; "Import" imports a clean file whole. */
export async function importUsersAction(
  _state: ImportState,
  formData: FormData,
): Promise<ImportState> {
  const agent = await requireAgentAction(HERE);
  const file = formData instanceof FormData ? formData.get("file") : null;
  if (!(file instanceof File) || file.size === 0) {
    return { status: "error", message: "Choose a CSV file.", problems: [] };
  }
  if (file.size > IMPORT_MAX_BYTES) {
    return { status: "error", message: "The file is over 512 KB.", problems: [] };
  }
  const csv = await file.text();
  const roles = assignableRoles(agent.role);
  const db = await getDb();
  if (formData.get("mode") !== "import") {
    const check = await checkUserImport(db, csv, roles);
    return check.ok
      ? { status: "checked", rows: check.rows.length }
      : {
          status: "error",
          message: `Nothing was imported: fix these ${check.problems.length} problems and check the file again.`,
          problems: check.problems,
        };
  }
  const result = await importUsers(
    db,
    csv,
    { id: agent.id, allowedRoles: roles },
    await getRequestContext(),
  );
  if (!result.ok) {
    return {
      status: "error",
      message: `Nothing was imported: fix these ${result.problems.length} problems and check the file again.`,
      problems: result.problems,
    };
  }
  revalidatePath(HERE);
  return { status: "imported", created: result.created };
}
