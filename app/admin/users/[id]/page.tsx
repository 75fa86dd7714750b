import { RecoveryStatus } from "./recovery-status";
import { getLatestRecovery } from "@/lib/auth/account-recovery";
import { getAlternateEmail, maskEmail } from "@/lib/mfa/alternate-email";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { MethodRow } from "@/components/mfa/method-row";
import { RememberedBrowserDetails } from "@/components/mfa/remembered-browser-details";
import { dangerButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import { nameDevices } from "@/lib/activity/device-names";
import { describeLocation, lookupIp } from "@/lib/activity/ip-intel";
import { listSignInEvents } from "@/lib/activity/sign-in-events";
import { describeDevice, parseUserAgent } from "@/lib/activity/user-agent";
import { roleName } from "@/lib/admin/account-actions";
import {
  getCallerVerificationOptions,
  getCallerVerificationView,
  getVerifiedCaller,
} from "@/lib/admin/caller-verification";
import { listSignedInApps } from "@/lib/apps/app-access";
import { agentMayActOn, requireAgentPage, type AgentAction } from "@/lib/admin/guard";
import { getAdminUser, listAgentActionsOn } from "@/lib/admin/users";
import { listActiveSessions } from "@/lib/auth/sessions";
import { ROLES } from "@/lib/auth/users";
import { getDb } from "@/lib/db/client";
import { countRecoveryCodes, listMethods } from "@/lib/mfa/methods";
import { methodName } from "@/lib/mfa/registry";
import { listRememberedBrowsers } from "@/lib/mfa/remembered-browser";
import { callerVerificationRequired, registrationGracePolicy } from "@/lib/settings/policy";
import { GRACE_ROLES } from "@/lib/auth/registration-grace";
import { toView } from "../../../(portal)/sign-ins/view";
import { DataTable } from "../../_components/data-table";
import {
  allowPostponingAction,
  changeRoleAction,
  deleteMethodAction,
  disableAccountAction,
  enableAccountAction,
  forgetBrowserAction,
  requireReregisterAction,
  resetPasswordAction,
  revokeMfaSessionsAction,
  signOutAllSessionsAction,
  stopPostponingAction,
  unlockAccountAction,
} from "./actions";
import { AgentActionDialog } from "./agent-action-dialog";
import { CallerVerificationStatus } from "./caller-verification-status";
import { AgentExtraActions } from "./extra-actions";
import { VerifyIdentityDialog } from "./verify-identity-dialog";

export const metadata: Metadata = { title: "User" };

const SIGN_INS_SHOWN = 20;

export default async function AdminUserPage({ params }: { params: Promise<{ id: string }> }) {
  const agent = await requireAgentPage();
  const { id } = await params;
  const db = await getDb();
  const user = await getAdminUser(db, id);
  if (!user) notFound();
  const [
    methods,
    recoveryCodesLeft,
    signIns,
    sessions,
    signedInApps,
    browsers,
    history,
    verification,
    verifyOptions,
    verifiedByYou,
    recovery,
    alternateEmail,
  ] = await Promise.all([
    listMethods(db, user.id),
    countRecoveryCodes(db, user.id),
    listSignInEvents(db, user.id, { filter: "all", limit: SIGN_INS_SHOWN }),
    listActiveSessions(db, user.id, agent.sessionId),
    listSignedInApps(db, user.id),
    listRememberedBrowsers(db, user.id).then(nameDevices),
    listAgentActionsOn(db, user.id),
    getCallerVerificationView(db, agent.id, user.id),
    getCallerVerificationOptions(db, user),
    getVerifiedCaller(db, agent.id, user.id),
    getLatestRecovery(db, user.id),
    getAlternateEmail(db, user.id),
  ]);
  const sessionRows = await Promise.all(
    sessions.map(async (s) => ({
      ...s,
      device: describeDevice(parseUserAgent(s.userAgent)),
      location: describeLocation(await lookupIp(s.ip)),
    })),
  );
  const may = (action: AgentAction) => agentMayActOn(agent, user, action).ok;
  const signOutAll = agentMayActOn(agent, user, "sign_out_all");
  const refusal = signOutAll.ok ? null : signOutAll.message;
  const locked = user.passwordLockedUntil !== null || user.mfaLockedUntil !== null;
  const dialog = { userId: user.id };
  const grace = registrationGracePolicy();
  const graceOn = grace.postponements !== null || grace.until !== null;
  const graceStatus = !GRACE_ROLES.includes(user.role)
    ? "No (helpdesk and admin accounts never may)."
    : user.registrationGrace
      ? `Yes, chosen here${graceOn ? "." : " (the grace period is off in Settings)."}`
      : grace.roles.includes(user.role) && graceOn
        ? "Yes, as everyone with the user role."
        : "No.";
  // With the organisation's rule on, the three actions that hand the account to the caller say
  // so before the agent confirms; the server refuses them all the same (R-A10.4).
  const callerCheck =
    callerVerificationRequired() && !verifiedByYou ? (
      <p className="font-medium">
        Your organisation requires you to verify the caller first, with &ldquo;Verify
        identity&rdquo;.
      </p>
    ) : null;

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/admin/users" className="text-brand-700 underline">
          Users
        </Link>
      </p>
      <h1 className="text-3xl font-semibold">{user.displayName}</h1>
      <p className="mt-1 text-slate-700">
        {user.email} · {roleName(user.role)} · {user.status === "active" ? "Active" : "Disabled"}
        {locked && " · Locked"}
      </p>

      <section aria-labelledby="actions-heading" className="mt-6">
        <h2 id="actions-heading" className="sr-only">
          Actions
        </h2>
        {!refusal && (
          <CallerVerificationStatus
            view={verification}
            stillNeeded={callerVerificationRequired() && !verifiedByYou}
          />
        )}
        {refusal ? (
          <p className="text-slate-700">{refusal}</p>
        ) : (
          <ul className="flex flex-wrap gap-3">
            {may("verify_caller") && (
              <li>
                <VerifyIdentityDialog
                  userId={user.id}
                  name={user.displayName}
                  push={verifyOptions.push}
                  phones={verifyOptions.phones}
                  alternateEmail={verifyOptions.alternateEmail}
                  waitingPush={verification.waitingPush}
                  waitingCode={verification.waitingCode}
                />
              </li>
            )}
            <li>
              <AgentActionDialog
                {...dialog}
                label="Require re-register MFA"
                title="Require re-register MFA"
                description={
                  <>
                    <p>
                      Removes every sign-in method (phones, authenticator apps, hardware tokens) and
                      the recovery codes, and signs the account out everywhere. At the next sign-in
                      the person sets up a method again.
                    </p>
                    {callerCheck}
                  </>
                }
                action={requireReregisterAction}
              />
            </li>
            <li>
              <AgentActionDialog
                {...dialog}
                label="Revoke MFA sessions"
                title="Revoke MFA sessions"
                description="Every browser where the person chose “Don't ask again” asks for a second factor at the next sign-in."
                action={revokeMfaSessionsAction}
              />
            </li>
            <li>
              <AgentActionDialog
                {...dialog}
                label="Sign out all sessions"
                title="Sign out all sessions"
                description="Ends every session of the account on every browser and device now, and signs the person out of every app they signed in to with it."
                action={signOutAllSessionsAction}
              />
            </li>
            <li>
              <AgentActionDialog
                {...dialog}
                label="Reset password"
                title="Reset password"
                description={
                  <>
                    <p>
                      Sets a generated temporary password, shown here once, and signs the account
                      out everywhere; every browser asks for a second factor again. The person must
                      choose a new password when they sign in with it.
                    </p>
                    {callerCheck}
                  </>
                }
                action={resetPasswordAction}
              />
            </li>
            <li>
              <AgentActionDialog
                {...dialog}
                label="Unlock account"
                title="Unlock account"
                description="Clears the failed password and verification attempts that pause sign-in."
                action={unlockAccountAction}
              />
            </li>
            {user.status === "active" ? (
              may("disable") && (
                <li>
                  <AgentActionDialog
                    {...dialog}
                    label="Disable account"
                    title="Disable account"
                    description="Nobody can sign in to the account until it is enabled again; it is signed out everywhere now."
                    action={disableAccountAction}
                    className={dangerButton}
                  />
                </li>
              )
            ) : (
              <>
                <li>
                  <AgentActionDialog
                    {...dialog}
                    label="Enable account"
                    title="Enable account"
                    description="The person can sign in again."
                    action={enableAccountAction}
                  />
                </li>
                {user.disabledBy === "directory" && may("disable") && (
                  <li>
                    <AgentActionDialog
                      {...dialog}
                      label="Keep disabled"
                      title="Keep disabled"
                      description="The directory sync disabled this account when the person left the directory, and would enable it again if they came back. Kept disabled, only the console can enable it."
                      action={disableAccountAction}
                      className={dangerButton}
                    />
                  </li>
                )}
              </>
            )}
            {/* "Issue Temporary Access Pass" and "Assign hardware token" live in extra-actions.tsx. */}
            <AgentExtraActions user={user} agent={agent} callerCheck={callerCheck} />
          </ul>
        )}
      </section>

      <section aria-labelledby="methods-heading" className="mt-8">
        <h2 id="methods-heading" className="text-xl font-semibold">
          Authentication methods
        </h2>
        {methods.length === 0 ? (
          <p className="mt-2 text-slate-700">No sign-in method is registered.</p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {methods.map((method) => {
              const name = methodName(method);
              return (
                <MethodRow
                  key={method.id}
                  title={
                    <>
                      {name}
                      {method.isDefault && (
                        <span className="ml-2 rounded bg-slate-100 px-2 py-0.5 text-sm">
                          Default
                        </span>
                      )}
                    </>
                  }
                  dates={method}
                  actions={
                    may("delete_method") && (
                      <AgentActionDialog
                        {...dialog}
                        hidden={{ methodId: method.id }}
                        label="Delete"
                        accessibleLabel={`Delete ${name}`}
                        title={`Delete ${name}`}
                        description="The person can no longer sign in with this method."
                        action={deleteMethodAction}
                      />
                    )
                  }
                />
              );
            })}
          </ul>
        )}
        <p className="mt-2 text-slate-700">Recovery codes left: {recoveryCodesLeft}</p>
      </section>

      <section aria-labelledby="sign-ins-heading" className="mt-8">
        <h2 id="sign-ins-heading" className="text-xl font-semibold">
          Sign-ins
        </h2>
        {signIns.items.length === 0 ? (
          <p className="mt-2 text-slate-700">No sign-ins yet.</p>
        ) : (
          <DataTable
            caption={`The ${SIGN_INS_SHOWN} most recent sign-ins`}
            columns={["Time", "Result", "App", "Details", "IP address", "Location", "Device"]}
            small
            className="mt-2"
          >
            {signIns.items.map((item) => {
              const view = toView(item);
              return (
                <tr key={view.id} className="border-b border-slate-200 align-top">
                  <td className="py-2 pr-4">
                    <LocalTime value={item.at} />
                  </td>
                  <td className="py-2 pr-4">{view.outcome}</td>
                  <td className="py-2 pr-4">{view.app}</td>
                  <td className="py-2 pr-4">
                    {view.status}
                    {view.riskReasons.length > 0 && ` ${view.riskReasons.join(" ")}`}
                  </td>
                  <td className="py-2 pr-4">{view.ip}</td>
                  <td className="py-2 pr-4">{view.location}</td>
                  <td className="py-2">{view.device}</td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </section>

      <section aria-labelledby="sessions-heading" className="mt-8">
        <h2 id="sessions-heading" className="text-xl font-semibold">
          Sessions
        </h2>
        {sessionRows.length === 0 ? (
          <p className="mt-2 text-slate-700">No active session.</p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {sessionRows.map((s) => (
              <li key={s.reference} className="p-4">
                <p className="font-medium">
                  {s.device}, {s.location}
                  {s.current && " (this console)"}
                </p>
                <p className="text-sm text-slate-600">
                  IP address {s.ip ?? "unknown"} · last active <LocalTime value={s.lastSeenAt} /> ·
                  signed in <LocalTime value={s.createdAt} />
                  {s.persistent && " · stays signed in"}
                </p>
              </li>
            ))}
          </ul>
        )}
        <h3 className="mt-6 text-lg font-semibold">Apps</h3>
        {signedInApps.length === 0 ? (
          <p className="mt-2 text-slate-700">No sign-in to an app yet.</p>
        ) : (
          <>
            <p className="mt-2 text-slate-700">
              Apps the person signed in to with this account. &ldquo;Sign out all sessions&rdquo;
              signs them out of these too.
            </p>
            <ul
              aria-label="Apps signed in to"
              className="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
            >
              {signedInApps.map((app) => (
                <li key={app.clientId} className="p-4">
                  <p className="font-medium">{app.name}</p>
                  <p className="text-sm text-slate-600">
                    Last sign-in <LocalTime value={app.lastSignInAt} />
                  </p>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section aria-labelledby="remembered-heading" className="mt-8">
        <h2 id="remembered-heading" className="text-xl font-semibold">
          Browsers that don&apos;t ask for a code
        </h2>
        {browsers.length === 0 ? (
          <p className="mt-2 text-slate-700">Every browser asks for a second factor.</p>
        ) : (
          <ul
            aria-label="Remembered browsers"
            className="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
          >
            {browsers.map((b) => (
              <li
                key={b.reference}
                className="flex flex-wrap items-center justify-between gap-3 p-4"
              >
                <div>
                  <p className="font-medium">{b.name}</p>
                  <RememberedBrowserDetails browser={b} />
                </div>
                {may("forget_browser") && (
                  <AgentActionDialog
                    {...dialog}
                    hidden={{ browser: b.reference }}
                    label="Forget"
                    accessibleLabel={`Forget ${b.name}`}
                    title={`Forget ${b.name}`}
                    description="This browser asks for a second factor at the person's next sign-in there. Their other remembered browsers stay."
                    action={forgetBrowserAction}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="account-heading" className="mt-8">
        <h2 id="account-heading" className="text-xl font-semibold">
          Account
        </h2>
        <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2">
          <dt className="font-medium">Status</dt>
          <dd>
            {user.status === "active"
              ? "Active"
              : user.disabledBy === "directory"
                ? "Disabled: no longer in the directory (enabled again if they come back)"
                : "Disabled"}
          </dd>
          <dt className="font-medium">Role</dt>
          <dd>{roleName(user.role)}</dd>
          <dt className="font-medium">Locked</dt>
          <dd>
            {user.passwordLockedUntil && (
              <>
                Password step until <LocalTime value={user.passwordLockedUntil} />.{" "}
              </>
            )}
            {user.mfaLockedUntil && (
              <>
                Verification step until <LocalTime value={user.mfaLockedUntil} />.
              </>
            )}
            {!locked && "No"}
          </dd>
          <dt className="font-medium">Alternate email</dt>
          <dd>{alternateEmail ? maskEmail(alternateEmail.email) : "None"}</dd>
          <dt className="font-medium">Account recovery</dt>
          <dd>
            <RecoveryStatus recovery={recovery} />
          </dd>
          <dt className="font-medium">MFA required</dt>
          <dd>{user.mfaRequired ? "Yes" : "No"}</dd>
          <dt className="font-medium">May postpone setting up MFA</dt>
          <dd>
            {graceStatus}
            {user.registrationPostponements > 0 &&
              ` Postponed ${user.registrationPostponements} ${user.registrationPostponements === 1 ? "time" : "times"} so far.`}
          </dd>
          <dt className="font-medium">Account</dt>
          <dd>
            {user.source === "directory"
              ? "From the organisation's directory: the directory holds the password"
              : "Local: Factor holds the password"}
          </dd>
          {user.source === "local" && (
            <>
              <dt className="font-medium">Password changed</dt>
              <dd>
                {user.passwordChangedAt ? <LocalTime value={user.passwordChangedAt} /> : "Never"}
                {!user.hasPassword && " (no password set)"}
                {user.mustChangePassword && " (must be changed at the next sign-in)"}
              </dd>
            </>
          )}
          <dt className="font-medium">Created</dt>
          <dd>
            <LocalTime value={user.createdAt} />
          </dd>
        </dl>
        <h3 className="mt-6 text-lg font-semibold">Helpdesk actions</h3>
        {history.length === 0 ? (
          <p className="mt-2 text-slate-700">No helpdesk action yet.</p>
        ) : (
          <ul aria-label="Helpdesk actions" className="mt-2 space-y-2">
            {history.map((entry) => (
              <li key={entry.id}>
                <LocalTime value={entry.at} /> · {entry.what}
                {entry.outcome !== "success" &&
                  ` (${entry.outcome === "denied" ? "refused" : "failed"})`}{" "}
                · by {entry.actor ?? "someone no longer here"}
                {entry.reason && ` · Reason: ${entry.reason}`}
                {entry.ticket && ` · Ticket ${entry.ticket}`}
              </li>
            ))}
          </ul>
        )}
        {GRACE_ROLES.includes(user.role) &&
          may(user.registrationGrace ? "stop_postponing" : "allow_postponing") && (
            <div className="mt-4">
              {user.registrationGrace ? (
                <AgentActionDialog
                  {...dialog}
                  label="Stop allowing postponement"
                  title="Stop allowing postponement"
                  description="The person must set up a sign-in method at their next sign-in, unless their role may still postpone it."
                  action={stopPostponingAction}
                />
              ) : (
                <AgentActionDialog
                  {...dialog}
                  label="Allow postponing registration"
                  title="Allow postponing registration"
                  description="At “More information required” the person may choose “Ask me later” and sign in with their password alone, as many times and until the day the organisation's grace period allows (Settings). A sign-in that looks unusual still asks them to set up a method."
                  action={allowPostponingAction}
                />
              )}
            </div>
          )}
        {agent.role === "admin" && may("change_role") && (
          <div className="mt-4">
            <AgentActionDialog
              {...dialog}
              label="Change role"
              title="Change role"
              description="Helpdesk agents and administrators can use this console. They sign in with the Authenticator app, a passkey or a hardware token, never by text or call, so give these roles only to someone who has one of those. The last active administrator cannot be demoted."
              action={changeRoleAction}
            >
              <div className="space-y-1">
                <label htmlFor="new-role" className="block text-sm font-medium text-slate-800">
                  New role
                </label>
                <select
                  id="new-role"
                  name="role"
                  defaultValue={user.role}
                  className="block w-full rounded-md border border-slate-400 px-3 py-2"
                >
                  {ROLES.map((role) => (
                    <option key={role} value={role}>
                      {roleName(role)}
                    </option>
                  ))}
                </select>
              </div>
            </AgentActionDialog>
          </div>
        )}
      </section>
    </>
  );
}
