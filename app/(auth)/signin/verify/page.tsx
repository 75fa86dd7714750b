import type { Metadata } from "next";
import { OIDC_PATH } from "@/lib/apps/provider-paths";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CallWaiter } from "@/components/mfa/call-waiter";
import { PasskeyForm } from "@/components/mfa/passkey-form";
import { PushWaiter } from "@/components/mfa/push-waiter";
import { SendCountdown } from "@/components/mfa/send-countdown";
import { UnusableMethods } from "@/components/mfa/unusable-methods";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { rememberMfaDays } from "@/lib/settings/policy";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getLatestPush } from "@/lib/mfa/companion-push";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  getCallStatus,
  getLatestCall,
  getLiveTextChallenge,
  getPhoneSendWait,
} from "@/lib/mfa/phone-challenges";
import { shortPhone } from "@/lib/mfa/phone-numbers";
import { phoneNumberOf, SIGN_IN_OPTIONS, type SignInOptionId } from "@/lib/mfa/registry";
import { resendAction, verifyAction } from "./actions";
import { passkeySecondFactorOptionsAction } from "./passkey-actions";
import { RememberBrowserField } from "./remember-browser-field";
import { VerifyForm } from "./verify-form";

export const metadata: Metadata = { title: "Verify" };

const INSTRUCTIONS: Record<SignInOptionId, (number: string) => string> = {
  code: () => "Enter the code displayed in the authenticator app on your mobile device.",
  sms: (number) => `We texted your phone ${number}. Enter the code to sign in.`,
  voice: (number) => `We're calling your phone ${number}. Answer it and press # to continue.`,
  "recovery-code": () => "Enter one of the recovery codes you saved. Each code works once.",
  passkey: () =>
    "Use the passkey on this device, on your phone or on your security key. Your browser will ask you to confirm it is you.",
  push: () =>
    "Open the Authenticator app on your phone and enter the number shown here to sign in. If the request hasn't arrived, choose \u201cCheck for notifications\u201d in the app.",
};

/** What the page says instead when the send limits held this text or call back (R-A5.4). */
const HELD_BACK: Record<"sms" | "voice", (number: string, earlier: boolean) => string> = {
  sms: (number, earlier) =>
    earlier
      ? `The code we texted to your phone ${number} earlier still works. Enter it to sign in.`
      : `We can't text your phone ${number} yet.`,
  voice: (number, earlier) =>
    earlier
      ? `The call to your phone ${number} is still ringing. Answer it and press # to continue.`
      : `We can't call your phone ${number} yet.`,
};

const NOTICES = {
  dead: "That code was entered wrongly too many times. Choose another way, or start signing in again.",
  "push-limit":
    "We can't send another request to your Authenticator app now. Wait a few minutes, or choose another way.",
} as const;

export default async function VerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin");
  const { transaction } = current;
  const db = await getDb();
  const summary = await getMethodSummary(db, transaction.userId);
  // Methods exist, but none can be used now: refused with the reason, never let through (R-A1.5).
  if (summary.blockedBy.length > 0) {
    const stepUp = transaction.purpose === "step_up";
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">
          {stepUp ? "You can't verify your identity right now" : "You can't sign in right now"}
        </h1>
        <UnusableMethods reasons={summary.blockedBy} signingIn={!stepUp} />
      </>
    );
  }
  const params = await searchParams;
  const choice = summary.findChoice(params.option, params.method) ?? summary.defaultChoice;
  if (!choice) redirect("/signin");
  const method = summary.methods.find((m) => m.id === choice.methodId);
  const number = method ? shortPhone(phoneNumberOf(method)) : "";
  const stepUp = transaction.purpose === "step_up";
  const days = rememberMfaDays();
  const rememberDays = !stepUp && days > 0 ? days : null;
  const hasOtherWays = summary.choices.length > 1;
  const notice = params.notice === "dead" || params.notice === "push-limit" ? params.notice : null;
  const binding = {
    userId: transaction.userId,
    purpose: transaction.purpose,
    transactionId: transaction.id,
  };
  const phoneOption =
    (choice.option === "sms" || choice.option === "voice") && choice.methodId
      ? { channel: choice.option, methodId: choice.methodId }
      : null;
  const call =
    phoneOption?.channel === "voice"
      ? await getLatestCall(db, binding, phoneOption.methodId)
      : null;
  // Held back by the send limits: say so, and what still works from an earlier send, if anything.
  const heldBack =
    phoneOption && params.notice === "limit"
      ? {
          ...phoneOption,
          seconds: await getPhoneSendWait(db, transaction.userId, phoneOption.methodId),
          earlier:
            phoneOption.channel === "voice"
              ? call !== null && (await getCallStatus(db, binding, call.id)) === "ringing"
              : (await getLiveTextChallenge(db, binding, phoneOption.methodId)) !== null,
        }
      : null;
  const push =
    choice.option === "push"
      ? await getLatestPush(db, {
          userId: transaction.userId,
          transactionId: transaction.id,
          purpose: "second_factor",
        })
      : null;

  return (
    <>
      <h1 className="mb-2 text-2xl font-semibold">
        {stepUp ? "Verify your identity" : SIGN_IN_OPTIONS[choice.option].heading}
      </h1>
      {stepUp && (
        <p className="mb-2 text-slate-700">
          {transaction.callbackPath.startsWith(`${OIDC_PATH}/`)
            ? "The app you are signing in to asks for a stronger proof that it is you."
            : "For your security, confirm it is you before changing your security info."}
        </p>
      )}
      <p className="mb-6 text-slate-700">
        {heldBack
          ? HELD_BACK[heldBack.channel](number, heldBack.earlier)
          : INSTRUCTIONS[choice.option](number)}
      </p>
      {notice && (
        <div className="mb-4">
          <Alert kind="info">{NOTICES[notice]}</Alert>
        </div>
      )}
      {choice.option === "push" ? (
        push && (
          <PushWaiter
            key={push.id}
            number={push.number}
            statusUrl={`/signin/verify/push-status?request=${push.id}`}
            finishAction={verifyAction}
            fields={{ option: "push", method: "", code: push.id }}
          >
            {rememberDays !== null && <RememberBrowserField days={rememberDays} />}
          </PushWaiter>
        )
      ) : choice.option === "voice" ? (
        call &&
        (!heldBack || heldBack.earlier) && (
          <CallWaiter
            key={call.id}
            statusUrl={`/signin/verify/call-status?challenge=${call.id}`}
            finishAction={verifyAction}
            fields={{ option: "voice", method: choice.methodId ?? "", code: call.id }}
          >
            {rememberDays !== null && <RememberBrowserField days={rememberDays} />}
          </CallWaiter>
        )
      ) : choice.option === "passkey" ? (
        <PasskeyForm
          ceremony={{ kind: "sign", prepare: passkeySecondFactorOptionsAction }}
          action={verifyAction}
          answerName="code"
          fields={{ option: "passkey" }}
          buttonLabel="Use a passkey"
          pendingLabel="Waiting for your passkey…"
        >
          {rememberDays !== null && <RememberBrowserField days={rememberDays} />}
        </PasskeyForm>
      ) : heldBack && !heldBack.earlier ? null : (
        <VerifyForm
          key={`${choice.option}:${choice.methodId ?? ""}`}
          option={choice.option}
          methodId={choice.methodId}
          fieldLabel={choice.option === "recovery-code" ? "Recovery code" : "Code"}
          inputMode={choice.option === "recovery-code" ? "text" : "numeric"}
          rememberDays={rememberDays}
        />
      )}
      {(choice.option === "sms" || choice.option === "voice" || choice.option === "push") && (
        <form action={resendAction} className="mt-4">
          <input type="hidden" name="option" value={choice.option} />
          <input type="hidden" name="method" value={choice.methodId ?? ""} />
          {heldBack ? (
            <SendCountdown
              key={heldBack.seconds}
              seconds={heldBack.seconds}
              channel={heldBack.channel}
              label={heldBack.channel === "sms" ? "Resend code" : "Call again"}
            />
          ) : (
            <SubmitButton variant="secondary" pendingLabel="Sending…">
              {choice.option === "sms"
                ? "Resend code"
                : choice.option === "push"
                  ? "Send another request"
                  : "Call again"}
            </SubmitButton>
          )}
        </form>
      )}
      {hasOtherWays && (
        <p className="mt-6">
          <Link href="/signin/verify/another-way" className="text-brand-700 underline">
            Sign in another way
          </Link>
        </p>
      )}
    </>
  );
}
