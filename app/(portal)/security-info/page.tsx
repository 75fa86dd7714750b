import type { Metadata } from "next";
import Link from "next/link";
import { MethodKindSelect } from "@/components/mfa/method-kind-select";
import { MethodRow } from "@/components/mfa/method-row";
import { RecoveryCodesRow } from "@/components/mfa/recovery-codes-row";
import { Alert } from "@/components/ui/alert";
import { dangerButton, primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { listTokensToActivate } from "@/lib/admin/hardware-tokens";
import { requireSession } from "@/lib/auth/current";
import { UnusableMethods } from "@/components/mfa/unusable-methods";
import { BackupPrompt } from "@/components/mfa/backup-prompt";
import { backupStatus } from "@/lib/mfa/backup";
import { getDb } from "@/lib/db/client";
import { getAlternateEmail } from "@/lib/mfa/alternate-email";
import { deleteAlternateEmailAction, openAlternateEmailAction } from "./alternate-email/actions";
import { defaultCandidates, getMethodSummary } from "@/lib/mfa/methods";
import {
  defaultMethodName,
  isPhoneKind,
  kindOffered,
  METHOD_KIND_INFO,
  METHOD_KINDS,
  methodChoiceName,
  methodDetail,
  methodName,
  preferredOption,
} from "@/lib/mfa/registry";
import {
  addBackupMethodAction,
  addMethodAction,
  changeDefaultAction,
  changePhoneAction,
  deleteMethodAction,
  regenerateRecoveryCodesAction,
  signOutEverywhereAction,
  type Outcome,
} from "./actions";

export const metadata: Metadata = { title: "Security info" };

const OUTCOMES: Record<Outcome, { kind: "success" | "error" | "info"; text: string }> = {
  deleted: { kind: "success", text: "The sign-in method was deleted." },
  "default-changed": { kind: "success", text: "Your default sign-in method was changed." },
  "signed-out-everywhere": { kind: "success", text: "You were signed out everywhere else." },
  "last-method": {
    kind: "error",
    text: "You can't delete your only sign-in method while your organisation requires one. Add another method first.",
  },
  missing: { kind: "error", text: "That sign-in method no longer exists." },
  "alternate-email-added": { kind: "success", text: "Your alternate email was verified." },
  "alternate-email-deleted": { kind: "success", text: "Your alternate email was deleted." },
  "passkey-required": {
    kind: "info",
    text: "Your organisation requires helpdesk and admin accounts to use a passkey. Add one with “Add sign-in method”, then open the console again.",
  },
};

const selectStyle = "block w-full rounded-md border border-slate-400 px-3 py-2";

export default async function SecurityInfoPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const summary = await getMethodSummary(await getDb(), session.user.id);
  const tokensToActivate = await listTokensToActivate(await getDb(), session.user.id);
  const alternateEmail = await getAlternateEmail(await getDb(), session.user.id);
  const outcomeKey = (await searchParams).outcome;
  const outcome = typeof outcomeKey === "string" ? OUTCOMES[outcomeKey as Outcome] : undefined;
  const { methods, defaultMethod } = summary;

  return (
    <>
      <h1 className="text-3xl font-semibold">Security info</h1>
      <p className="mt-2 text-slate-700">
        These are the methods you use to sign in to your account or reset your password.
      </p>
      {outcome && (
        <div className="mt-4">
          <Alert kind={outcome.kind}>{outcome.text}</Alert>
        </div>
      )}

      <BackupPrompt status={backupStatus(summary)} action={addBackupMethodAction} />

      <div className="mt-6 flex flex-wrap items-center gap-3">
        <p>
          Default sign-in method:{" "}
          <strong>{defaultMethod ? defaultMethodName(defaultMethod) : "None yet"}</strong>
        </p>
        {defaultCandidates(summary).length > 1 && (
          <DialogTrigger
            label="Change default sign-in method"
            title="Change default method"
            className="text-brand-700 underline"
          >
            <form action={changeDefaultAction} className="space-y-4">
              <div className="space-y-1">
                <label htmlFor="default-choice" className="block font-medium">
                  Which method would you like to use?
                </label>
                <select
                  id="default-choice"
                  name="choice"
                  defaultValue={
                    defaultMethod && `${defaultMethod.id}:${preferredOption(defaultMethod)}`
                  }
                  className={selectStyle}
                >
                  {defaultCandidates(summary).map(({ method, option, value }) => (
                    <option key={value} value={value}>
                      {methodChoiceName(method, option)}
                    </option>
                  ))}
                </select>
              </div>
              <button type="submit" className={primaryButton}>
                Confirm
              </button>
            </form>
          </DialogTrigger>
        )}
      </div>

      <div className="mt-6 flex flex-wrap items-center gap-4">
        <DialogTrigger label="Add sign-in method" title="Add a method" className={primaryButton}>
          <form action={addMethodAction} className="space-y-4">
            <MethodKindSelect
              id="add-choice"
              label="Which method would you like to add?"
              kinds={METHOD_KINDS.filter((kind) => kindOffered(kind, summary.role))}
            />
            <button type="submit" className={primaryButton}>
              Add
            </button>
          </form>
        </DialogTrigger>
        {tokensToActivate.length > 0 && (
          <Link href="/register/hardware-token" className="text-brand-700 underline">
            Activate hardware token
          </Link>
        )}
      </div>

      <ul
        aria-label="Sign-in methods"
        className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
      >
        {methods.map((method) => {
          const name = methodName(method);
          const detail = [methodDetail(method), method.isDefault && "default"].filter(Boolean);
          const others = methods.filter((m) => m.id !== method.id);
          return (
            <MethodRow
              key={method.id}
              title={METHOD_KIND_INFO[method.kind].listName}
              dates={method}
              actions={
                <div className="flex items-center gap-4">
                  {isPhoneKind(method.kind) && (
                    <form action={changePhoneAction}>
                      <input type="hidden" name="methodId" value={method.id} />
                      <button type="submit" className="text-brand-700 underline">
                        Change
                      </button>
                    </form>
                  )}
                  <DialogTrigger
                    label="Delete"
                    accessibleLabel={`Delete ${name}`}
                    title={`Delete ${name}?`}
                    className="text-red-700 underline"
                  >
                    <form action={deleteMethodAction} className="space-y-4">
                      <input type="hidden" name="methodId" value={method.id} />
                      <p>You will no longer be able to sign in with this method.</p>
                      {METHOD_KIND_INFO[method.kind].signInOptions.includes("sms") && (
                        <div className="flex items-start gap-2">
                          <input
                            id={`keep-number-${method.id}`}
                            name="keepNumber"
                            type="checkbox"
                            className="mt-1 h-4 w-4"
                            aria-describedby={`keep-number-${method.id}-hint`}
                          />
                          <div>
                            <label htmlFor={`keep-number-${method.id}`} className="font-medium">
                              I still have this number
                            </label>
                            <p id={`keep-number-${method.id}-hint`} className="text-slate-700">
                              We keep it for a year, so that a code texted to it can help you{" "}
                              <Link href="/help#lost-phone" className="text-brand-700 underline">
                                recover your account
                              </Link>{" "}
                              if you lose every sign-in method. Leave this clear if the phone was
                              lost or stolen.
                            </p>
                          </div>
                        </div>
                      )}
                      {method.isDefault && others.length > 0 && (
                        <div className="space-y-1">
                          <label htmlFor={`new-default-${method.id}`} className="block font-medium">
                            New default sign-in method
                          </label>
                          <select
                            id={`new-default-${method.id}`}
                            name="newDefaultId"
                            className={selectStyle}
                          >
                            {others.map((m) => (
                              <option key={m.id} value={m.id}>
                                {methodChoiceName(m)}
                              </option>
                            ))}
                          </select>
                        </div>
                      )}
                      <button type="submit" className={dangerButton}>
                        Delete
                      </button>
                    </form>
                  </DialogTrigger>
                </div>
              }
            >
              {detail.length > 0 && <p className="text-slate-700">{detail.join(" · ")}</p>}
              {method.kind === "passkey" && (
                <p className="text-sm text-slate-600">
                  {method.data?.blocked
                    ? "Blocked: it may have been copied. Delete it and create a new one."
                    : method.data?.synced
                      ? "Synced (kept in your password manager or account)"
                      : "Device-bound (stays on this device or security key)"}
                </p>
              )}
            </MethodRow>
          );
        })}
        {methods.length > 0 && (
          <RecoveryCodesRow left={summary.recoveryCodesLeft} action={regenerateRecoveryCodesAction}>
            {summary.recoveryCodesLeft > 0 &&
              summary.recoveryCodesLeft <= 2 &&
              " — create new ones soon"}
          </RecoveryCodesRow>
        )}
      </ul>
      {summary.registered.length === 0 && (
        <p className="mt-4 text-slate-700">
          You have no sign-in methods yet. Add one to protect your account.
        </p>
      )}
      {summary.blockedBy.length > 0 && (
        <div className="mt-4">
          <UnusableMethods reasons={summary.blockedBy} signingIn={false} />
        </div>
      )}

      <section aria-labelledby="alternate-email" className="mt-10">
        <h2 id="alternate-email" className="text-xl font-semibold">
          Alternate email
        </h2>
        <p className="mt-1 text-slate-700">
          A personal address for resetting your password, recovering your account and receiving
          security notices. It is never used to sign in.
        </p>
        {alternateEmail ? (
          <div className="mt-3 flex flex-wrap items-center gap-4">
            <p>
              <strong>{alternateEmail.email}</strong>
            </p>
            <form action={openAlternateEmailAction}>
              <button
                type="submit"
                aria-label="Change alternate email"
                className="text-brand-700 underline"
              >
                Change
              </button>
            </form>
            <DialogTrigger
              label="Delete"
              accessibleLabel="Delete alternate email"
              title="Delete alternate email?"
              className="text-red-700 underline"
            >
              <form action={deleteAlternateEmailAction} className="space-y-4">
                <p>
                  You will no longer be able to reset your password or recover your account with{" "}
                  {alternateEmail.email}, and security notices will stop going to it.
                </p>
                <button type="submit" className={dangerButton}>
                  Delete
                </button>
              </form>
            </DialogTrigger>
          </div>
        ) : (
          <form action={openAlternateEmailAction} className="mt-3">
            <button type="submit" className="text-brand-700 underline">
              Add alternate email
            </button>
          </form>
        )}
      </section>

      <section aria-labelledby="lost-device" className="mt-10">
        <h2 id="lost-device" className="text-xl font-semibold">
          Lost device?
        </h2>
        <p className="mt-1 text-slate-700">
          Sign out of every other browser and device, and forget browsers that skip verification.
        </p>
        <form action={signOutEverywhereAction} className="mt-3">
          <button type="submit" className={dangerButton}>
            Sign out everywhere
          </button>
        </form>
      </section>
    </>
  );
}
