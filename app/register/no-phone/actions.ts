"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { requestHelpWithoutPhone } from "@/lib/admin/help-request";
import { getRegistrant } from "@/lib/auth/registrant";

/** The wizard's "Send request": a helpdesk case for the person registering, signed in or not yet. */
export async function sendNoPhoneRequestAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  return requestHelpWithoutPhone(registrant.user, formData);
}
