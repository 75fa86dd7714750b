"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import { checkNewApp, createApp } from "@/lib/admin/apps";
import { parseAgentReason, requireAgentAction } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { readAppForm, type AppFormState } from "./app-form-data";

const HERE = "/admin/apps";
const INVALID = "Some fields need attention; nothing was saved.";

/**
 * "Add application" (administrators only, with a fresh second factor and a reason: R-A16.1,
 * R-A16.2). A web app's secret comes back in this answer only, for the app's page to show once;
 * it is never put back in the form (R-A19.4).
 */
export async function createAppAction(
  _state: AppFormState,
  formData: FormData,
): Promise<AppFormState> {
  const agent = await requireAgentAction(HERE, { adminOnly: true });
  if (!(formData instanceof FormData)) return { status: "error", message: "Send the form." };
  const { input, values } = readAppForm(formData);
  const why = parseAgentReason(formData);
  if (!why.success) {
    // Every problem at once: the app's fields are checked too, though nothing is saved.
    const checked = checkNewApp(input);
    return {
      status: "error",
      message: INVALID,
      fieldErrors: {
        ...(checked.ok ? {} : checked.fieldErrors),
        ...fieldErrorsFrom(why.error.issues),
      },
      values,
    };
  }
  const created = await createApp(await getDb(), agent, input, why.data, await getRequestContext());
  if (!created.ok) {
    return { status: "error", message: created.message, fieldErrors: created.fieldErrors, values };
  }
  revalidatePath(HERE);
  return {
    status: "success",
    message: `${created.app.name} was added. Opening its page…`,
    appId: created.app.id,
    ...(created.secret ? { secret: created.secret } : {}),
  };
}
