import type { ActionState } from "@/lib/actions/form-action";
import { ApprovalWaiter } from "./approval-waiter";

type PushWaiterProps = {
  /** The two digits the person types on their phone. */
  number: string;
  statusUrl: string;
  finishAction: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  fields: Record<string, string>;
  children?: React.ReactNode;
};

/** Shows the number to type on the phone and waits for the approval (R-A6.1). */
export function PushWaiter({ number, ...props }: PushWaiterProps) {
  return (
    <ApprovalWaiter
      {...props}
      waitingStatus="pending"
      whileWaiting={
        <div className="text-center">
          <output
            aria-label="Number to enter"
            className="block text-6xl font-semibold tracking-widest text-slate-900"
          >
            {number}
          </output>
        </div>
      }
      texts={{
        waiting: "Waiting for you to approve the request in the Authenticator app…",
        approved: "Request approved. Continuing…",
        ended: "The request ended.",
      }}
      endings={{
        denied: "The request was denied. Send another request, or choose another way.",
        expired:
          "The request wasn't answered in time. Send another request, or choose another way.",
        gone: "This request is no longer waiting. Send another request, or choose another way.",
      }}
    />
  );
}
