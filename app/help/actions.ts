"use server";

import type { ActionState } from "@/lib/actions/form-action";
import { requestHelpWithoutPhone } from "@/lib/admin/help-request";
import { requireSession } from "@/lib/auth/current";

/** "No mobile phone?" → "Send request": a helpdesk case for the signed-in person. */
export async function sendHelpRequestAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const session = await requireSession();
  return requestHelpWithoutPhone(session.user, formData);
}
