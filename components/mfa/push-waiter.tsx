"use client";

import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import type { ActionState } from "@/lib/actions/form-action";
import { idle } from "@/lib/actions/form-action";

type PushStatus = "pending" | "approved" | "denied" | "expired" | "gone";

type PushWaiterProps = {
  /** The two digits the person types on their phone. */
  number: string;
  /** GET returns `{ status }` for this request; the server checks who asks. */
  statusUrl: string;
  /** Finishes once the request is approved; the server checks the approval again. */
  finishAction: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  /** Hidden fields the finishing form sends (the request's id…). */
  fields: Record<string, string>;
  /** Optional controls inside the finishing form, such as "Don't ask again". */
  children?: React.ReactNode;
};

const POLL_MS = 2000;

const ENDED: Record<Exclude<PushStatus, "pending" | "approved">, string> = {
  denied: "The request was denied. Send another request, or choose another way.",
  expired: "The request wasn't answered in time. Send another request, or choose another way.",
  gone: "This request is no longer waiting. Send another request, or choose another way.",
};

/**
 * Shows the number to type on the phone and waits for the answer (R-A6.1): polls while the
 * request is pending, and on approval submits the finishing form by itself.
 */
export function PushWaiter(props: PushWaiterProps) {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Waiter {...props} />
    </QueryClientProvider>
  );
}

function Waiter({ number, statusUrl, finishAction, fields, children }: PushWaiterProps) {
  const [state, formAction] = useActionState(finishAction, idle);
  const formRef = useRef<HTMLFormElement>(null);
  const submitted = useRef(false);
  const { data } = useQuery({
    queryKey: ["push-status", statusUrl],
    queryFn: async (): Promise<PushStatus> => {
      const response = await fetch(statusUrl, { cache: "no-store" });
      if (!response.ok) return "gone";
      return ((await response.json()) as { status: PushStatus }).status;
    },
    refetchInterval: (query) =>
      query.state.data === "pending" || !query.state.data ? POLL_MS : false,
    refetchIntervalInBackground: true,
    retry: 2,
  });
  const status = data ?? "pending";

  useEffect(() => {
    if (status === "approved" && !submitted.current) {
      submitted.current = true;
      formRef.current?.requestSubmit();
    }
  }, [status]);

  return (
    <div className="space-y-4">
      {status === "pending" && (
        <div className="text-center">
          <output
            aria-label="Number to enter"
            className="block text-6xl font-semibold tracking-widest text-slate-900"
          >
            {number}
          </output>
        </div>
      )}
      <p role="status" className="font-medium">
        {status === "pending" && "Waiting for you to approve the request in the Authenticator app…"}
        {status === "approved" && "Request approved. Continuing…"}
        {status !== "pending" && status !== "approved" && "The request ended."}
      </p>
      {status !== "pending" && status !== "approved" && <Alert kind="error">{ENDED[status]}</Alert>}
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
