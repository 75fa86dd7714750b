import type { Executor } from "@/lib/db/client";
import type { RequestContext } from "@/lib/types/request";
import { beginSignInTransaction } from "./sign-in-transaction";

/** Starts a step-up for a signed-in session: a fresh second factor that will replace it. */
export async function beginStepUp(
  db: Executor,
  session: { id: string; persistent: boolean; user: { id: string } },
  returnTo: string,
  context: RequestContext,
): Promise<string> {
  return beginSignInTransaction(db, {
    userId: session.user.id,
    purpose: "step_up",
    stage: "second_factor",
    methods: ["pwd"],
    persistent: session.persistent,
    replacesSessionId: session.id,
    callbackPath: returnTo,
    ip: context.ip,
    userAgent: context.userAgent,
  });
}
