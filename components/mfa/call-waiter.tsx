"use client";

import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import type { ActionState } from "@/lib/actions/form-action";
import { idle } from "@/lib/actions/form-action";

type CallStatus = "ringing" | "approved" | "declined" | "expired" | "gone";

type CallWaiterProps = {
  /** GET returns `{ status }` for this call; the server checks who asks. */
  statusUrl: string;
  /** Finishes once the call is approved; the server checks the approval again. */
  finishAction: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  /** Hidden fields the finishing form sends (the call's id, the phone's id…). */
  fields: Record<string, string>;
  /** Optional controls inside the finishing form, such as "Don't ask again". */
  children?: React.ReactNode;
};

const POLL_MS = 2000;

const ENDED: Record<Exclude<CallStatus, "ringing" | "approved">, string> = {
  declined: "The call was declined. Call again, or choose another way.",
  expired: "The call wasn't answered in time. Call again, or choose another way.",
  gone: "This call is no longer waiting. Call again, or choose another way.",
};

/**
 * Waits for a call to be answered with "#": polls while it rings, stops on approval, decline or
 * time-out, and on approval submits the finishing form by itself.
 */
export function CallWaiter(props: CallWaiterProps) {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Waiter {...props} />
    </QueryClientProvider>
  );
}

function Waiter({ statusUrl, finishAction, fields, children }: CallWaiterProps) {
  const [state, formAction] = useActionState(finishAction, idle);
  const formRef = useRef<HTMLFormElement>(null);
  const submitted = useRef(false);
  const { data } = useQuery({
    queryKey: ["call-status", statusUrl],
    queryFn: async (): Promise<CallStatus> => {
      const response = await fetch(statusUrl, { cache: "no-store" });
      if (!response.ok) return "gone";
      return ((await response.json()) as { status: CallStatus }).status;
    },
    refetchInterval: (query) =>
      query.state.data === "ringing" || !query.state.data ? POLL_MS : false,
    refetchIntervalInBackground: true,
    retry: 2,
  });
  const status = data ?? "ringing";

  useEffect(() => {
    if (status === "approved" && !submitted.current) {
      submitted.current = true;
      formRef.current?.requestSubmit();
    }
  }, [status]);

  return (
    <div className="space-y-4">
      <p role="status" className="font-medium">
        {status === "ringing" && "Waiting for you to answer the call and press #…"}
        {status === "approved" && "Call answered. Continuing…"}
        {status !== "ringing" && status !== "approved" && "The call ended."}
      </p>
      {status !== "ringing" && status !== "approved" && <Alert kind="error">{ENDED[status]}</Alert>}
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
