"use server";

import { revalidatePath } from "next/cache";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { answerOutboxCall } from "@/lib/mfa/phone-calls";
import { providerNameFor } from "@/lib/notify/providers";

// The outbox stands in for the person's phone, so answering needs no session: whoever can see
// /dev/outbox holds every "phone". That is why the page and these actions exist only while
// calls go to the outbox provider (docs/decisions/0004-messages.md).

async function answer(formData: FormData, pressed: string | null): Promise<void> {
  if (providerNameFor("voice") !== "outbox") notFound();
  const challengeId = formData.get("challengeId");
  if (typeof challengeId !== "string") return;
  await answerOutboxCall(await getDb(), challengeId, pressed);
  revalidatePath("/dev/outbox");
}

/** "Answer and press #": approves the call's sign-in. */
export async function answerCallAction(formData: FormData): Promise<void> {
  await answer(formData, "#");
}

/** "Decline": the call is declined, as when any key other than # is pressed. */
export async function declineCallAction(formData: FormData): Promise<void> {
  await answer(formData, null);
}
