"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { secondaryButton } from "@/components/ui/button-styles";
import type { AnswerResult, PendingPush } from "@/lib/mfa/companion-protocol";
import type { StoredDevice } from "../_lib/device";
import { AnswerOutcome } from "./answer-outcome";
import { RequestCard } from "./request-card";
import { REQUESTS_QUERY_KEY } from "./use-device-requests";

/** The oldest sign-in request waiting for this phone, or what the last answer did. */
export function SignInRequests({
  device,
  request,
  checking,
}: {
  device: StoredDevice;
  request: PendingPush | undefined;
  checking: boolean;
}) {
  const queryClient = useQueryClient();
  // Kept here, not in the request's card: the next poll no longer lists an answered request,
  // and the person must still be able to read what their answer did.
  const [answered, setAnswered] = useState<{
    result: AnswerResult;
    reported: boolean;
    helpdesk: boolean;
  } | null>(null);
  return (
    <section aria-labelledby="requests-heading" className="mt-8">
      <h2 id="requests-heading" className="text-xl font-semibold">
        Sign-in requests
      </h2>
      {answered ? (
        <AnswerOutcome
          {...answered}
          onDone={() => {
            setAnswered(null);
            void queryClient.invalidateQueries({ queryKey: REQUESTS_QUERY_KEY });
          }}
        />
      ) : request ? (
        <RequestCard
          key={request.id}
          device={device}
          request={request}
          onAnswered={(result, reported) =>
            setAnswered({
              result,
              reported,
              helpdesk: request.purpose === "helpdesk_verification",
            })
          }
        />
      ) : (
        <p className="mt-2 text-slate-700">No requests waiting.</p>
      )}
      <button
        type="button"
        className={`${secondaryButton} mt-4`}
        disabled={checking}
        onClick={() => void queryClient.refetchQueries({ queryKey: REQUESTS_QUERY_KEY })}
      >
        Check for notifications
      </button>
    </section>
  );
}
