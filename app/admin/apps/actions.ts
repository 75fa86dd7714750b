"use server";

import { checkNewApp, createApp } from "@/lib/admin/apps";
import { addIntegration } from "../integration-actions";
import { APPS_SECTION, readAppForm, type AppFormState } from "./app-form-data";

/**
 * "Add application" (administrators only, with a fresh second factor and a reason: R-A16.1,
 * R-A16.2). A web app's secret comes back in this answer only, for the app's page to show once;
 * it is never put back in the form (R-A19.4).
 */
export async function createAppAction(
  _state: AppFormState,
  formData: FormData,
): Promise<AppFormState> {
  return addIntegration(APPS_SECTION, formData, {
    read: readAppForm,
    check: checkNewApp,
    create: createApp,
    answer: ({ app, secret }): AppFormState => ({
      status: "success",
      message: `${app.name} was added. Opening its page…`,
      appId: app.id,
      ...(secret ? { secret } : {}),
    }),
  });
}
