import { AgentActionDialog } from "./agent-action-dialog";
import { issueAccessPassAction } from "./actions";

/** "Issue Temporary Access Pass": a reason, an optional ticket, and the pass shown once. */
export function PassDialog({
  userId,
  lifetimeMinutes,
  activeUntil,
  callerCheck,
}: {
  userId: string;
  lifetimeMinutes: number;
  /** When the person already has a usable pass: it is revoked by a new one. */
  activeUntil: string | null;
  /** Said when the organisation requires a verified caller first. */
  callerCheck?: React.ReactNode;
}) {
  return (
    <AgentActionDialog
      label="Issue Temporary Access Pass"
      title="Issue Temporary Access Pass"
      description={
        <>
          <p>
            Before you issue a pass, confirm who you are talking to: &ldquo;Verify identity&rdquo;
            checks them with their own phone; otherwise call them back on a number on record, or
            check with their manager. The pass lets them sign in once, within {lifetimeMinutes}{" "}
            minutes, to set up a sign-in method.
          </p>
          {callerCheck}
          {activeUntil && (
            <p>They already have a pass (until {activeUntil}); a new one replaces it.</p>
          )}
        </>
      }
      secretLabel="Temporary Access Pass"
      once
      pendingLabel="Issuing…"
      action={issueAccessPassAction}
      userId={userId}
    />
  );
}
