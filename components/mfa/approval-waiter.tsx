"use client";

import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import type { ActionState } from "@/lib/actions/form-action";
import { idle } from "@/lib/actions/form-action";
import { fetchInBackground } from "@/lib/security/background-request";

export type ApprovalWaiterProps = {
  /** GET returns `{ status }`; the server checks who asks. */
  statusUrl: string;
  /** The status while nobody has answered yet ("ringing", "pending"). */
  waitingStatus: string;
  /** Finishes once approved; the server checks the approval again. */
  finishAction: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  /**
   * The statuses that submit the finishing form: "approved" unless given. A helpdesk agent's
   * request is settled on a refusal too, so the refusal is recorded.
   */
  finishOn?: readonly string[];
  /** Hidden fields the finishing form sends (the call's or request's id…). */
  fields: Record<string, string>;
  /** What the status line says while waiting, once approved, and once ended. */
  texts: { waiting: string; approved: string; ended: string };
  /** Why it ended, by status ("declined", "expired"…); `gone` covers anything else. */
  endings: Record<string, string> & { gone: string };
  /** Shown only while waiting, such as the number to type on the phone. */
  whileWaiting?: React.ReactNode;
  /** Controls inside the finishing form, such as "Don't ask again". */
  children?: React.ReactNode;
};

const POLL_MS = 2000;

/**
 * Waits for a person to approve elsewhere — a call answered with "#", a request on their phone:
 * polls while it waits, stops on approval, refusal or time-out, and on approval submits the
 * finishing form by itself. First render comes from the server; this island only polls.
 */
export function ApprovalWaiter(props: ApprovalWaiterProps) {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Waiter {...props} />
    </QueryClientProvider>
  );
}

function Waiter({
  statusUrl,
  waitingStatus,
  finishAction,
  finishOn = ["approved"],
  fields,
  texts,
  endings,
  whileWaiting,
  children,
}: ApprovalWaiterProps) {
  const [state, formAction] = useActionState(finishAction, idle);
  const formRef = useRef<HTMLFormElement>(null);
  const submitted = useRef(false);
  const { data } = useQuery({
    queryKey: ["approval-status", statusUrl],
    queryFn: async (): Promise<string> => {
      const response = await fetchInBackground(statusUrl);
      if (!response.ok) return "gone";
      return ((await response.json()) as { status: string }).status;
    },
    refetchInterval: (query) =>
      query.state.data === waitingStatus || !query.state.data ? POLL_MS : false,
    refetchIntervalInBackground: true,
    retry: 2,
  });
  const status = data ?? waitingStatus;
  const waiting = status === waitingStatus;
  const approved = status === "approved";
  const finishing = finishOn.includes(status);

  useEffect(() => {
    if (finishing && !submitted.current) {
      submitted.current = true;
      formRef.current?.requestSubmit();
    }
  }, [finishing]);

  return (
    <div className="space-y-4">
      {waiting && whileWaiting}
      <p role="status" className="font-medium">
        {waiting ? texts.waiting : approved ? texts.approved : texts.ended}
      </p>
      {!waiting && !approved && <Alert kind="error">{endings[status] ?? endings.gone}</Alert>}
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <form ref={formRef} action={formAction} className="space-y-4">
        {Object.entries(fields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {children}
      </form>
    </div>
  );
}
