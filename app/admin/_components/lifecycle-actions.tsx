import { dangerButton } from "@/components/ui/button-styles";
import type { AgentActionState } from "../agent-action-state";
import { AgentActionDialog } from "../users/[id]/agent-action-dialog";

type Action = (state: AgentActionState, formData: FormData) => Promise<AgentActionState>;

/**
 * An integration's actions: "Rotate …" (its new secret shown once), the kind's own (`children`, as list
 * items), "Enable" or "Disable", and "Delete". Each is confirmed with a reason.
 */
export function LifecycleActions({
  noun,
  hidden,
  disabled,
  rotate,
  enable,
  disable,
  remove,
  children,
}: {
  /** What the titles call it: "RADIUS client" gives "Disable RADIUS client". */
  noun: string;
  /** The hidden field naming it, e.g. { clientId }. */
  hidden: Record<string, string>;
  disabled: boolean;
  rotate?: {
    label: string;
    description: string;
    action: Action;
    secretLabel: string;
    secretNote: string;
  };
  enable: { description: string; action: Action };
  disable: { description: string; action: Action };
  remove: { description: string; action: Action };
  children?: React.ReactNode;
}) {
  return (
    <section aria-labelledby="actions-heading" className="mt-6">
      <h2 id="actions-heading" className="sr-only">
        Actions
      </h2>
      <ul className="flex flex-wrap gap-3">
        {rotate && (
          <li>
            <AgentActionDialog
              hidden={hidden}
              label={rotate.label}
              title={rotate.label}
              description={rotate.description}
              action={rotate.action}
              secretLabel={rotate.secretLabel}
              secretNote={rotate.secretNote}
              once
              pendingLabel="Rotating…"
            />
          </li>
        )}
        {children}
        {disabled ? (
          <li key="enable">
            <AgentActionDialog
              hidden={hidden}
              label="Enable"
              title={`Enable ${noun}`}
              description={enable.description}
              action={enable.action}
            />
          </li>
        ) : (
          <li key="disable">
            <AgentActionDialog
              hidden={hidden}
              label="Disable"
              title={`Disable ${noun}`}
              description={disable.description}
              action={disable.action}
              className={dangerButton}
            />
          </li>
        )}
        <li>
          <AgentActionDialog
            hidden={hidden}
            label="Delete"
            title={`Delete ${noun}`}
            description={remove.description}
            action={remove.action}
            className={dangerButton}
            pendingLabel="Deleting…"
          />
        </li>
      </ul>
    </section>
  );
}
