import "server-only";
import { z } from "zod";
import type { ActionState } from "@/lib/actions/form-action";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getRequestContext } from "@/lib/security/request-context";
import { CASE_MESSAGE_MAX_LENGTH, createCase } from "@/lib/cases/report";

const requestSchema = z.object({
  message: z
    .string()
    .trim()
    .min(1, "Tell us how we can help.")
    .max(CASE_MESSAGE_MAX_LENGTH, `Keep it under ${CASE_MESSAGE_MAX_LENGTH} characters.`),
});

/**
 * "I do not own a mobile phone — contact the helpdesk": a case for this person, from the Help page
 * or from the wizard. The caller has established who is asking.
 */
export async function requestHelpWithoutPhone(
  user: { id: string; email: string },
  formData: FormData | undefined,
): Promise<ActionState> {
  const raw = formData instanceof FormData ? formData.get("message") : null;
  const values = { message: typeof raw === "string" ? raw.slice(0, CASE_MESSAGE_MAX_LENGTH) : "" };
  const parsed = requestSchema.safeParse({ message: raw });
  if (!parsed.success) {
    return {
      status: "error",
      fieldErrors: { message: parsed.error.issues.map((i) => i.message) },
      values,
    };
  }
  const context = await getRequestContext();
  const created = await createCase(
    await getDb(),
    { userId: user.id, kind: "no_mobile_phone", message: parsed.data.message },
    context,
  );
  if (!created.ok) {
    return {
      status: "error",
      message: `You have sent several requests today. The helpdesk has them; if it is urgent, email ${getEnv().HELPDESK_EMAIL}.`,
      values,
    };
  }
  return {
    status: "success",
    message: `Your request was sent to the helpdesk. Reference: ${created.reference}. They will reply to ${user.email}.`,
  };
}
