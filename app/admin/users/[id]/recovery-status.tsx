import { LocalTime } from "@/components/ui/local-time";
import { clock } from "@/lib/clock";
import type { RecoveryProof, RecoveryView } from "@/lib/auth/account-recovery";

const ENDED_BY: Record<string, string> = {
  link: "with the link in a notice",
  sign_in: "by a sign-in with an old method",
};

const PROVEN_BY: Record<RecoveryProof, string> = {
  email: "Proven by the password and a code emailed to the alternate email.",
  text: "Proven by the password and a code texted to a phone number used before.",
};

/**
 * The stage of a person's self-service recovery and, while it waits, the time left; and which
 * second proof started it, so the helpdesk can ask the caller about that channel.
 */
export function RecoveryStatus({ recovery }: { recovery: RecoveryView | null }) {
  if (!recovery) return <>None</>;
  return (
    <>
      <RecoveryStage recovery={recovery} />
      {recovery.provenBy && <> {PROVEN_BY[recovery.provenBy]}</>}
    </>
  );
}

function RecoveryStage({ recovery }: { recovery: RecoveryView }) {
  if (recovery.status === "waiting") {
    const hoursLeft = Math.max(0, (recovery.completesAt.getTime() - clock.ms()) / 3600_000);
    return (
      <>
        Waiting since <LocalTime value={recovery.waitingSince} />; completes at{" "}
        <LocalTime value={recovery.completesAt} /> (
        {hoursLeft >= 1
          ? `${Math.floor(hoursLeft)} hours left`
          : hoursLeft > 0
            ? `${Math.ceil(hoursLeft * 60)} minutes left`
            : "at the next sign-in with the password"}
        ).
      </>
    );
  }
  if (recovery.status === "cancelled") {
    return (
      <>
        Cancelled {ENDED_BY[recovery.endedBy ?? ""] ?? ""}
        {recovery.endedAt && (
          <>
            {" "}
            at <LocalTime value={recovery.endedAt} />
          </>
        )}
        .
      </>
    );
  }
  return (
    <>
      Completed
      {recovery.endedAt && (
        <>
          {" "}
          at <LocalTime value={recovery.endedAt} />
        </>
      )}
      : the old methods were removed.
    </>
  );
}
