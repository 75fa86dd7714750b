import type { ActionState } from "@/lib/actions/form-action";
import { ApprovalWaiter } from "./approval-waiter";

type CallWaiterProps = {
  statusUrl: string;
  finishAction: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  fields: Record<string, string>;
  children?: React.ReactNode;
};

/** Waits for a call to be answered with "#"; any other key, a decline or silence ends it. */
export function CallWaiter(props: CallWaiterProps) {
  return (
    <ApprovalWaiter
      {...props}
      waitingStatus="ringing"
      texts={{
        waiting: "Waiting for you to answer the call and press #…",
        approved: "Call answered. Continuing…",
        ended: "The call ended.",
      }}
      endings={{
        declined: "The call was declined. Call again, or choose another way.",
        expired: "The call wasn't answered in time. Call again, or choose another way.",
        gone: "This call is no longer waiting. Call again, or choose another way.",
      }}
    />
  );
}
