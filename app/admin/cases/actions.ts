"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import {
  addCaseNote,
  assignCase,
  CASE_NOTE_MAX_LENGTH,
  CASE_STATUSES,
  setCaseStatus,
  type CaseStatus,
} from "@/lib/admin/cases";
import { requireAgentAction } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// Every action checks, itself, an agent with a fresh second factor (R-A9.1, R-A17.1); each change
// is audited in lib/admin/cases.ts. The outcome travels as a key in the URL, never as text.

const HERE = "/admin/cases";

function one(formData: FormData, name: string): string | null {
  const values = formData.getAll(name);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : null;
}

function back(formData: FormData, outcome: string): never {
  const status = one(formData, "filter");
  const query = new URLSearchParams({ outcome });
  if (status && (CASE_STATUSES as readonly string[]).includes(status)) query.set("status", status);
  revalidatePath(HERE);
  redirect(`${HERE}?${query.toString()}`);
}

async function agentContext() {
  const agent = await requireAgentAction(HERE);
  return { id: agent.id, ...(await getRequestContext()) };
}

/** "Assign to me". */
export async function assignCaseToMeAction(formData: FormData): Promise<void> {
  const agent = await agentContext();
  const caseId = one(formData, "caseId") ?? "";
  const done = await assignCase(await getDb(), caseId, agent);
  back(formData, done ? "assigned" : "missing");
}

/** "Update status". */
export async function setCaseStatusAction(formData: FormData): Promise<void> {
  const agent = await agentContext();
  const caseId = one(formData, "caseId") ?? "";
  const status = one(formData, "status");
  if (!status || !(CASE_STATUSES as readonly string[]).includes(status)) back(formData, "missing");
  const done = await setCaseStatus(await getDb(), caseId, status as CaseStatus, agent);
  back(formData, done ? "status-changed" : "missing");
}

/** "Add note". */
export async function addCaseNoteAction(formData: FormData): Promise<void> {
  const agent = await agentContext();
  const caseId = one(formData, "caseId") ?? "";
  const body = one(formData, "note") ?? "";
  if (!body.trim() || body.length > CASE_NOTE_MAX_LENGTH) back(formData, "empty-note");
  const done = await addCaseNote(await getDb(), caseId, body, agent);
  back(formData, done ? "note-added" : "missing");
}
