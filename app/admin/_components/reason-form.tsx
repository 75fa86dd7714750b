import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import type { AgentActionState } from "../agent-action-state";
import { ReasonFields } from "./reason-fields";

/**
 * A console form that saves with a reason: the action's answer, the fields, then the reason and
 * the ticket. `resetKey` remounts it with what it shows, since React resets a form after its
 * action.
 */
export function ReasonForm({
  state,
  action,
  resetKey,
  className = "space-y-4",
  children,
}: {
  state: AgentActionState;
  action: (formData: FormData) => void;
  resetKey: string;
  className?: string;
  children: React.ReactNode;
}) {
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  return (
    <form key={resetKey} action={action} className={className} noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && state.message && <Alert kind="success">{state.message}</Alert>}
      {children}
      <ReasonFields values={typed} errors={errors} />
      <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
    </form>
  );
}
