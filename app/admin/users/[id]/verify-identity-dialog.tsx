"use client";

import { useActionState, useState } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { ApprovalWaiter } from "@/components/mfa/approval-waiter";
import { Alert } from "@/components/ui/alert";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { idle } from "@/lib/actions/form-action";
import {
  checkCallerCodeAction,
  finishVerificationRequestAction,
  sendCallerCodeAction,
  sendVerificationRequestAction,
  type VerifyCallerState,
} from "./actions";

export type VerifyIdentityDialogProps = {
  userId: string;
  name: string;
  /** The person has a phone paired with the Authenticator app. */
  push: boolean;
  /** Their phones that take texts, by masked name. */
  phones: { id: string; name: string }[];
  /** Their verified alternate email, masked, when a code can be emailed there. */
  alternateEmail: string | null;
  /** This agent's request still waiting to be settled, with its number. */
  waitingPush: { verificationId: string; number: string } | null;
  /** This agent's code still waiting to be read back. */
  waitingCode: SentCode | null;
};

type SentCode = NonNullable<VerifyCallerState["code"]>;

const sectionHeading = "text-base font-semibold text-slate-900";

const waiting: VerifyCallerState = { status: "idle" };

/**
 * "Verify identity" (R-A10.4): a request to the person's Authenticator app, or a code texted to
 * their phone or emailed to their alternate email that the caller reads back. The page shows the
 * result to every agent.
 */
export function VerifyIdentityDialog({
  userId,
  name,
  push,
  phones,
  alternateEmail,
  waitingPush,
  waitingCode,
}: VerifyIdentityDialogProps) {
  const [pushState, pushAction] = useActionState(sendVerificationRequestAction, waiting);
  const [codeState, codeAction] = useActionState(sendCallerCodeAction, waiting);
  // What was waiting when the page was opened stays shown after the page refreshes.
  const [earlierPush] = useState(waitingPush);
  const request = pushState.push ?? earlierPush;
  // The code last sent, by either way: a send refused later (at a limit) leaves it to check.
  const [code, setCode] = useState(waitingCode);
  if (codeState.code && codeState.code.verificationId !== code?.verificationId) {
    setCode(codeState.code);
  }

  return (
    <DialogTrigger label="Verify identity" title="Verify identity">
      <div className="space-y-6">
        <p className="text-slate-700">
          Check that the caller is {name}: only someone holding their phone, or able to read their
          alternate email, can answer. The result shows on this page, to every agent, for 10
          minutes.
        </p>

        {push && (
          <section aria-labelledby="verify-push-heading" className="space-y-3">
            <h3 id="verify-push-heading" className={sectionHeading}>
              Authenticator app
            </h3>
            <form action={pushAction}>
              <input type="hidden" name="userId" value={userId} />
              <SubmitButton pendingLabel="Sending…" variant="secondary">
                Send a request to their app
              </SubmitButton>
            </form>
            {pushState.status === "error" && pushState.message && (
              <Alert kind="error">{pushState.message}</Alert>
            )}
            {request && (
              <ApprovalWaiter
                key={request.verificationId}
                statusUrl={`/admin/users/${userId}/verification-status?verification=${request.verificationId}`}
                waitingStatus="pending"
                finishAction={finishVerificationRequestAction}
                finishOn={["approved", "denied", "reported", "expired"]}
                fields={{ userId, verification: request.verificationId }}
                whileWaiting={
                  <p className="text-slate-800">
                    Read this number to the caller, to type on their phone:{" "}
                    <output
                      aria-label="Number to read to the caller"
                      className="text-3xl font-semibold tracking-widest text-slate-900"
                    >
                      {request.number}
                    </output>
                  </p>
                }
                texts={{
                  waiting: "Waiting for them to approve on their phone…",
                  approved: "Approved on their phone: the caller is verified.",
                  ended: "The request ended: the caller is not verified.",
                }}
                endings={{
                  denied: "They denied the request on their phone.",
                  reported:
                    "They answered “This wasn't me” on their phone: the caller may not be who they say. Requests to their phone are paused for an hour.",
                  expired:
                    "The request wasn't answered in time. Send another request, or send a code.",
                  gone: "That request is no longer waiting. Send another.",
                }}
              />
            )}
          </section>
        )}

        {phones.length > 0 && (
          <section aria-labelledby="verify-text-heading" className="space-y-3">
            <h3 id="verify-text-heading" className={sectionHeading}>
              Text message
            </h3>
            <form action={codeAction} className="space-y-3">
              <input type="hidden" name="userId" value={userId} />
              <input type="hidden" name="via" value="sms" />
              {phones.length === 1 ? (
                <input type="hidden" name="phone" value={phones[0]!.id} />
              ) : (
                <div className="space-y-1">
                  <label
                    htmlFor="verify-phone"
                    className="block text-sm font-medium text-slate-800"
                  >
                    Phone to text
                  </label>
                  <select
                    id="verify-phone"
                    name="phone"
                    className="block w-full rounded-md border border-slate-400 px-3 py-2"
                  >
                    {phones.map((phone) => (
                      <option key={phone.id} value={phone.id}>
                        {phone.name}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              <SubmitButton pendingLabel="Sending…" variant="secondary">
                Text a code
              </SubmitButton>
            </form>
          </section>
        )}

        {alternateEmail && (
          <section aria-labelledby="verify-email-heading" className="space-y-3">
            <h3 id="verify-email-heading" className={sectionHeading}>
              Alternate email
            </h3>
            <p className="text-slate-700">
              To {alternateEmail}, the personal address they verified in Security info. Never to the
              account&apos;s own address: whoever lost the account may have lost it too.
            </p>
            <form action={codeAction}>
              <input type="hidden" name="userId" value={userId} />
              <input type="hidden" name="via" value="email" />
              <SubmitButton pendingLabel="Sending…" variant="secondary">
                Email a code
              </SubmitButton>
            </form>
          </section>
        )}

        {codeState.status === "error" && codeState.message && (
          <Alert kind="error">{codeState.message}</Alert>
        )}
        {(phones.length > 0 || alternateEmail) && (
          // Always there, so a screen reader announces where each new code went.
          <p role="status" className="text-slate-800">
            {code &&
              `A code was ${code.method === "email" ? "emailed" : "texted"} to ${code.sentTo}. Ask the caller to read it to you.`}
          </p>
        )}
        {code && <CodeCheck key={code.verificationId} userId={userId} />}

        {!push && phones.length === 0 && !alternateEmail && (
          <p className="text-slate-700">
            {name} has no phone that can get a request or a text, and no alternate email. Verify the
            caller another way: call them back on a number on record, or ask their manager.
          </p>
        )}
      </div>
    </DialogTrigger>
  );
}

/** The code the caller reads back, checked once; a new text or email starts a new one. */
function CodeCheck({ userId }: { userId: string }) {
  const [state, action] = useActionState(checkCallerCodeAction, idle);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      {state.status === "success" ? (
        <Alert kind="success">{state.message}</Alert>
      ) : (
        <form action={action} className="space-y-3" noValidate>
          <input type="hidden" name="userId" value={userId} />
          {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
          <Field
            label="Code the caller reads"
            name="code"
            inputMode="numeric"
            autoComplete="off"
            maxLength={12}
            required
            errors={errors?.code}
          />
          <SubmitButton pendingLabel="Checking…">Check</SubmitButton>
        </form>
      )}
    </div>
  );
}
