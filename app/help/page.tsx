import type { Metadata } from "next";
import Link from "next/link";
import { IP_DATA_CREDITS } from "@/lib/activity/ip-intel";
import { RISK_THRESHOLDS } from "@/lib/activity/risk";
import {
  HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE,
  HIGH_RISK_WINDOW_DAYS,
} from "@/lib/activity/sign-in-events";
import { CASE_MESSAGE_MAX_LENGTH } from "@/lib/cases/report";
import { getCurrentSession } from "@/lib/auth/current";
import { kindOffered, type MethodKind } from "@/lib/mfa/registry";
import { waitText } from "@/lib/actions/wait-text";
import {
  accountRecoveryWaitMs,
  methodKindEnabled,
  passwordLockoutThreshold,
  passwordResetMethodsNeeded,
  PIN_MAX_FAILURES,
  rememberMfaDays,
  sessionLimits,
  staySignedInOffered,
} from "@/lib/settings/policy";
import { getEnv } from "@/lib/env";
import { HelpRequestForm } from "@/components/forms/help-request-form";
import { sendHelpRequestAction } from "./actions";

export const metadata: Metadata = { title: "Help" };

const link = "text-brand-700 underline";

const DAY_MS = 24 * 3600_000;

// Every answer says what this portal does today for this reader: a method their organisation
// switched off, or their role may not use, is not offered, and sign-ins to the VPN or wifi are
// this portal's to decide only when it answers them (RADIUS_PORT set, docs/decisions/0019). The
// page is public — read signed out, it answers as for a student — and nothing on it is personal.
export default async function HelpPage() {
  const session = await getCurrentSession();
  const { HELPDESK_EMAIL, ORG_NAME, PUBLIC_URL, RADIUS_PORT, RADIUS_PUSH_TIMEOUT_SECONDS } =
    getEnv();
  // The VPN and wifi ask this portal only when its RADIUS server is on.
  const vpnAsksUs = RADIUS_PORT !== undefined;
  const resetMethods = passwordResetMethodsNeeded();
  const offered = (kind: MethodKind) => kindOffered(kind, session?.user.role ?? "user");
  const codeApp = offered("authenticator_app") || offered("companion_app");
  const callPhone = offered("office_phone") || offered("alternate_phone");
  const phones = callPhone || offered("mobile_phone");
  const rememberDays = rememberMfaDays();
  // Helpdesk and admin accounts are recovered by an administrator only.
  const selfRecovery = (session?.user.role ?? "user") === "user";
  const staySignedIn = staySignedInOffered();
  const idleMinutes = Math.round(sessionLimits().idleMs / 60_000);
  const persistent = sessionLimits(true);
  const stayIdleDays = Math.round(persistent.idleMs / DAY_MS);
  const stayMostDays = Math.round(persistent.absoluteMs / DAY_MS);
  const helpdesk = (
    <a className={link} href={`mailto:${HELPDESK_EMAIL}`}>
      {HELPDESK_EMAIL}
    </a>
  );
  const securityInfo = (
    <Link className={link} href="/security-info">
      Security info
    </Link>
  );
  const mySignIns = (
    <Link className={link} href="/sign-ins">
      My sign-ins
    </Link>
  );

  const faq: { id: string; question: string; answer: React.ReactNode }[] = [
    {
      id: "forgot-password",
      question: "I forgot my password. How do I get back in?",
      answer:
        resetMethods === 0 ? (
          <p>
            Contact the helpdesk at {helpdesk}. Once they are sure it is you, they set a temporary
            password that you change when you next sign in.
          </p>
        ) : (
          <>
            <p>
              On the sign-in page, choose{" "}
              <Link className={link} href="/reset-password">
                Forgot my password
              </Link>{" "}
              and enter the email you sign in with. Then prove it is you with{" "}
              {resetMethods === 2
                ? "two of your sign-in methods: a code from your authenticator app or hardware token, one of your recovery codes, a code emailed to your alternate email, or a code texted to your phone (only as the second)"
                : "a code from your authenticator app or hardware token, one of your recovery codes, or a code emailed to your alternate email"}
              , and choose a new password. Every browser and device signed in as you is then signed
              out
              {rememberDays > 0 && (
                <>
                  , every <q>Don&apos;t ask again</q> is forgotten,
                </>
              )}{" "}
              and we email you about it. Sign in with the new password and your sign-in method as
              usual.
            </p>
            <p>
              A text alone or a call can&apos;t reset a password: someone who only knows your email
              could otherwise keep your phone busy. Without{" "}
              {resetMethods === 2 ? "two of these" : "any of these"}, contact the helpdesk at{" "}
              {helpdesk}; once they are sure it is you, they set a temporary password that you
              change when you next sign in.
            </p>
          </>
        ),
    },
    {
      id: "new-phone",
      question: "I have a new phone. How do I move my sign-in methods to it?",
      answer: (
        <>
          <p>
            Keep the old phone until you are done. Sign in here and, on {securityInfo}, choose{" "}
            <q>Add sign-in method</q> to set up the new phone
            {codeApp && " with the authenticator app"}
            {offered("companion_app") &&
              ": when you pair a new phone with the Authenticator app, we offer to remove the old one"}
            . Then delete what was on the old phone from the list on {securityInfo}.
          </p>
          {phones && (
            <p>
              Kept your number? Nothing to change: texts and calls follow the number. A new number:
              choose <q>Change</q> beside the phone on {securityInfo}.
            </p>
          )}
          <p>
            Already without the old phone? See{" "}
            <a className={link} href="#lost-phone">
              I lost my phone
            </a>
            .
          </p>
        </>
      ),
    },
    {
      id: "lost-phone",
      question: "I lost my phone, or it was stolen. What do I do?",
      answer: (
        <>
          <p>
            If you have another way to sign in — a backup method or a recovery code — sign in,
            choose <q>Sign in another way</q> and use it. Then, on {securityInfo}, delete every
            method that was on the lost phone and choose <q>Sign out everywhere</q>: every browser
            signed in as you is signed out
            {rememberDays > 0 && (
              <>
                , and every <q>Don&apos;t ask again</q> is forgotten
              </>
            )}
            . Then set up your new phone.
          </p>
          {selfRecovery && (
            <p>
              No other way in, but you know your password?{" "}
              <Link href="/recover" className={link}>
                Recover your account
              </Link>{" "}
              yourself: prove your password, then a code we email to the alternate email you added
              at least 7 days ago, or text to a phone number that was one of your sign-in methods
              for at least 7 days, if you ticked <q>I still have this number</q> when you deleted it
              (you type it in). Your sign-in methods are reset after{" "}
              {waitText(accountRecoveryWaitMs())}, while we tell every address and phone on your
              account so that you can cancel if it wasn&apos;t you; then sign in with your password
              and set up your new phone.
            </p>
          )}
          <p>
            {selfRecovery ? "Neither of those?" : "No other way in?"} Contact the helpdesk at{" "}
            {helpdesk}. Once they are sure it is you, they can give you a Temporary Access Pass: it
            signs you in once, for a short time, so that you can set up a new method. Use{" "}
            <q>Use a Temporary Access Pass</q> on the sign-in page.
          </p>
          <p>
            So that one lost phone never locks you out: keep a backup method of another kind on{" "}
            {securityInfo}, and recovery codes somewhere safe.
          </p>
        </>
      ),
    },
    {
      id: "travelling",
      question: "I am travelling abroad. Will I still be able to sign in?",
      answer: (
        <>
          {codeApp && (
            <p>
              Yes, most simply with an authenticator app: it makes codes with no connection and no
              roaming. Before you go, set it up on {securityInfo} and make a code your default
              sign-in method there (<q>Change default sign-in method</q>).
            </p>
          )}
          {phones && (
            <p>
              Texts and calls reach you abroad only if your phone plan roams, and they may be late.
            </p>
          )}
          <p>
            Take your recovery codes with you, kept apart from your phone. A sign-in from a country
            you haven&apos;t signed in from in the last {RISK_THRESHOLDS.historyDays} days always
            asks for your second sign-in method, and we email you about it: that is expected.
          </p>
        </>
      ),
    },
    {
      id: "fewer-requests",
      question: "How can I reduce the number of verification requests?",
      answer: (
        <>
          {(staySignedIn || rememberDays > 0) && (
            <p>
              {staySignedIn && (
                <>
                  On a computer or phone that only you use, answer <q>Yes</q> to{" "}
                  <q>Stay signed in?</q>: you stay signed in as long as you come back within{" "}
                  {Math.min(stayIdleDays, stayMostDays)} days, for up to {stayMostDays} days,
                  instead of being signed out after {idleMinutes} minutes without activity.{" "}
                </>
              )}
              {rememberDays > 0 && (
                <>
                  When you verify, tick <q>Don&apos;t ask again for {rememberDays} days</q> and that
                  browser skips the second step for {rememberDays} days.{" "}
                </>
              )}
              Never do {staySignedIn && rememberDays > 0 ? "either" : "this"} on a shared or public
              computer.
            </p>
          )}
          {(codeApp || offered("passkey")) && (
            <p>
              Add {codeApp ? "an authenticator app" : "a passkey"}
              {codeApp && offered("passkey") && " or a passkey"} on {securityInfo}: once you have
              one, it is used instead of texts and calls, and it is quicker than waiting for a text
              or a call.
            </p>
          )}
          <p>
            Some sign-ins always ask for your second sign-in method
            {staySignedIn && " and never keep you signed in"}, whatever you chose: from a VPN or
            hosting network you haven&apos;t marked as yours, from a country you haven&apos;t signed
            in from in the last {RISK_THRESHOLDS.historyDays} days, when two sign-ins are too far
            apart to travel between, or from an address where many accounts have just failed to sign
            in. That is how we notice someone else using your password.
            {rememberDays > 0 && (
              <>
                {" "}
                Changing your password or choosing <q>Sign out everywhere</q> also ends every{" "}
                <q>Don&apos;t ask again</q>.
              </>
            )}
          </p>
        </>
      ),
    },
    {
      id: "vpn-password",
      question: "Why am I asked to change my password many times (VPN)?",
      answer: (
        <>
          <p>
            {vpnAsksUs
              ? `${ORG_NAME}'s VPN checks your password and your sign-in method with this portal, but the VPN itself decides when to ask for a new password: this portal asks for one only on its own sign-in page.`
              : `This portal does not sign you in to the VPN: ${ORG_NAME}'s VPN checks your password itself and decides when to ask for it, or for a new one.`}{" "}
            If the VPN keeps asking you to change your password, contact the helpdesk at {helpdesk}.
          </p>
          <p>
            Signing in to this portal while connected to a VPN makes the sign-in look as if it comes
            from the VPN provider&apos;s network, often in another country. We treat that as
            unusual: we ask for your second sign-in method every time
            {staySignedIn && ", don't keep you signed in"} and email you. After{" "}
            {HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE} sign-ins in {HIGH_RISK_WINDOW_DAYS} days
            that look like someone else&apos;s — for example one too far from the one before to
            travel between in the time — we ask you to change your password here, in case someone
            else has it.
          </p>
          <p>
            If it was you, open {mySignIns} and choose <q>This was me</q> on the sign-in from the
            VPN: we then treat that network as yours, and a sign-in from it is no longer unusual
            just for coming from a VPN.
          </p>
        </>
      ),
    },
    {
      id: "limited-signal",
      question: "What if I have limited wifi or phone signal?",
      answer: (
        <>
          {codeApp && (
            <p>
              An authenticator app makes codes with no connection at all — no wifi, no signal, no
              data — so it is the best method when you travel. Set it up on {securityInfo} before
              you go.
            </p>
          )}
          {phones && (
            <p>
              Texts and calls need phone signal, unless your phone can take them over wifi.
              {codeApp && (
                <>
                  {" "}
                  So that you are not waiting for one, make a code your default: on {securityInfo},
                  choose <q>Change default sign-in method</q> and pick{" "}
                  <q>Authenticator app or hardware token - code</q>.
                </>
              )}
            </p>
          )}
          <p>
            As a backup, create recovery codes on {securityInfo} and keep them somewhere safe: each
            one signs you in once, with no connection.
          </p>
        </>
      ),
    },
    {
      id: "no-mobile-phone",
      question: "I do not have a mobile phone. What can I do?",
      answer: (
        <>
          <p>You can still protect your account:</p>
          <ul className="list-disc space-y-1 pl-6">
            {offered("authenticator_app") && (
              <li>
                Install an authenticator app on your computer (any app that shows 6-digit codes,
                such as KeePassXC) and add it under <q>Add sign-in method</q>; use{" "}
                <q>Can&apos;t scan the image?</q> to type the key instead of scanning.
              </li>
            )}
            {offered("passkey") && (
              <li>
                Add a passkey under <q>Add sign-in method</q>: your computer keeps it (unlocked with
                your fingerprint, face or PIN), or a security key you plug in does.
              </li>
            )}
            {callPhone && (
              <li>
                Add an {offered("office_phone") ? "office" : "alternate"} phone that can receive
                calls: we call and you press #.
              </li>
            )}
            {methodKindEnabled("hardware_token") && (
              <li>
                Ask the helpdesk whether they can give you a hardware token: a small device that
                shows codes.
              </li>
            )}
            <li>
              Once you have a method, create recovery codes on Security info and keep them somewhere
              safe: each one signs you in once.
            </li>
          </ul>
          <p>If none of these works for you, ask the helpdesk below.</p>
        </>
      ),
    },
    {
      id: "unfamiliar-activity",
      question: "I see sign-in activity I don't recognise. What should I do?",
      answer: (
        <>
          <p>
            Choose <q>This wasn&apos;t me</q> on the sign-in in {mySignIns}, or go straight to{" "}
            <Link className={link} href="/secure-account">
              Secure your account
            </Link>
            . It walks you through changing your password, signing out everywhere, removing sign-in
            methods you didn&apos;t add, and telling the helpdesk what happened.
          </p>
          <p>
            <Link className={link} href="/devices">
              Devices
            </Link>{" "}
            shows every browser signed in to your account now. Never approve a sign-in, answer a
            call or read out a code you did not ask for: we never ask you for a code.
          </p>
        </>
      ),
    },
    {
      id: "pound-key",
      question: "The call asks me to press the pound key '#'. Where is it?",
      answer: (
        <p>
          The pound key is the hash key <kbd>#</kbd>, at the bottom right of the keypad. On a
          smartphone, tap <q>Keypad</q> during the call to see it, then press <kbd>#</kbd> once to
          approve. Any other key, or hanging up, turns the request down: if you did not just try to
          sign in or add this phone, hang up without pressing anything.
        </p>
      ),
    },
    {
      id: "mail-calendar",
      question: "My mail or calendar stopped working after I set up verification. Why?",
      answer: (
        <p>
          Setting up verification here does not change how your mail or calendar app signs in:{" "}
          {ORG_NAME}&apos;s mail service decides what your apps need. If they stopped working,
          contact the helpdesk at {helpdesk}.
        </p>
      ),
    },
    {
      id: "phone-sign-in",
      question: "How do I sign in with my phone instead of my password?",
      answer: offered("companion_app") ? (
        <>
          <p>
            Pair your phone with the Authenticator app: on {securityInfo}, choose{" "}
            <q>Add sign-in method</q> and <q>Authenticator app (notifications)</q>. Then in the app
            choose <q>Enable phone sign-in</q>, enter your password and pick an app PIN. On the
            sign-in page, type your email and choose{" "}
            <q>Approve a request on my Authenticator app</q>; type the number your browser shows
            into the app, enter your app PIN and approve.
          </p>
          <p>
            Your app PIN is checked by {ORG_NAME}, not stored on your phone. After{" "}
            {PIN_MAX_FAILURES} wrong PINs in a row, phone sign-in is turned off for that phone and
            we email you; sign in with your password and turn it on again with a new PIN. To choose
            a new PIN, open the app and choose <q>Change app PIN</q>; you need the current one.
          </p>
          <p>
            Your phone needs a screen lock (a PIN, pattern, fingerprint or face): anyone holding an
            unlocked phone could otherwise approve for you. If requests don&apos;t appear by
            themselves, open the app and choose <q>Check for notifications</q>; some phones only
            deliver them while the app is open. Didn&apos;t get a request? Sign in with your
            password instead.
          </p>
        </>
      ) : (
        <p>
          {ORG_NAME} doesn&apos;t offer phone sign-in: sign in with your password and your sign-in
          method. Ask the helpdesk at {helpdesk} if you need it.
        </p>
      ),
    },
    {
      id: "no-notifications",
      question: "The Authenticator app doesn't show my sign-in requests. What can I do?",
      answer: offered("companion_app") ? (
        <>
          <p>
            Open the app and choose <q>Check for notifications</q>: some phones deliver requests
            only while the app is open. A request lasts a short time; if it ran out, start the
            sign-in again. Requests go to every phone you paired, so delete phones you no longer use
            on {securityInfo}.
          </p>
          <p>
            Still nothing? On the sign-in page choose <q>Sign in another way</q>, then{" "}
            <q>Use a verification code</q>: the app shows a code too, with no connection needed.
          </p>
        </>
      ) : (
        <p>
          {ORG_NAME} doesn&apos;t send sign-in requests to a phone app: an authenticator app only
          shows codes. Open it and type the code it shows for this account.
        </p>
      ),
    },
    {
      id: "accessible",
      question: "Is this portal accessible?",
      answer: (
        <p>
          Yes. It is built to WCAG 2.2 AA: every page works with a keyboard alone and with screen
          readers, every field has a label, errors are announced, and nothing depends on colour or
          on scanning an image — the key can be typed instead. You can choose how to prove it is you
          from the methods on {securityInfo}. If something gets in your way, tell us at {helpdesk}.
        </p>
      ),
    },
    {
      id: "access-reject",
      question: "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?",
      answer: vpnAsksUs ? (
        <>
          <p>
            It means the sign-in was refused. The VPN or wifi asks this portal for your password and
            your sign-in method, and the sign-in appears in {mySignIns} with the VPN&apos;s name.
            Most VPNs show the reason beside <q>Access-Reject</q>:
          </p>
          <ul className="list-disc space-y-1 pl-6">
            <li>
              <q>Your account or password is incorrect.</q> Check the password saved in the VPN or
              wifi settings. After {passwordLockoutThreshold()} wrong passwords in a row sign-in
              pauses for a few minutes, here too, and the message stays the same.
            </li>
            <li>
              <q>You have not set up MFA yet</q>: sign in at {PUBLIC_URL} and add a sign-in method
              on {securityInfo} first.
            </li>
            <li>
              <q>No response from your phone</q> or <q>Your sign-in request was denied</q>: approve
              the request on your phone within {RADIUS_PUSH_TIMEOUT_SECONDS} seconds. With a poor
              signal, make a code your default (see{" "}
              <a className={link} href="#limited-signal">
                limited signal
              </a>
              ); many VPNs then ask for the code, or take your password, a comma and the code
              together.
            </li>
            <li>
              <q>Your sign-in method cannot be used for this service</q>: a passkey cannot sign in
              to a VPN. Add an authenticator app on {securityInfo}.
            </li>
            <li>
              <q>This account may not use this service</q>: {ORG_NAME} did not open this VPN or wifi
              to your account. Ask the helpdesk at {helpdesk}.
            </li>
          </ul>
        </>
      ) : (
        <p>
          It means the VPN or wifi refused the sign-in. This portal does not check {ORG_NAME}
          &apos;s VPN or wifi sign-ins, so that service decides why, and those attempts don&apos;t
          appear in {mySignIns}. Check the password saved in the VPN or wifi settings, and if it
          keeps happening, contact the helpdesk at {helpdesk}.
        </p>
      ),
    },
    {
      id: "invalid-password",
      question: "It says \u201cInvalid username or password\u201d although I verified. Why?",
      answer: (
        <>
          <p>
            This portal never says that: its sign-in page says{" "}
            <q>Your account or password is incorrect.</q> <q>Invalid username or password</q> comes
            from another service, such as the VPN, wifi or mail, which checks your password itself
            and decides; contact the helpdesk at {helpdesk}.
          </p>
          <p>
            On this portal&apos;s sign-in page, a paused account gets the same message as a wrong
            password, for your protection: after {passwordLockoutThreshold()} wrong passwords in a
            row, sign-in pauses for a while and we email you. Wait a few minutes and try again, or
            ask the helpdesk to unlock your account.
          </p>
        </>
      ),
    },
  ];

  return (
    <>
      <h1 className="text-3xl font-semibold">Help</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        Answers to common questions about signing in at {ORG_NAME}. Can&apos;t find yours? Email the
        helpdesk at {helpdesk}.
      </p>
      <nav aria-label="Questions" className="mt-6">
        <ul className="list-disc space-y-1 pl-6">
          {faq.map(({ id, question }) => (
            <li key={id}>
              <a className={link} href={`#${id}`}>
                {question}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="mt-8 space-y-10">
        {faq.map(({ id, question, answer }) => (
          <section key={id} aria-labelledby={id}>
            <h2 id={id} className="text-xl font-semibold">
              {question}
            </h2>
            <div className="mt-2 max-w-prose space-y-2">{answer}</div>
            {id === "no-mobile-phone" && (
              <section aria-labelledby="contact-helpdesk" className="mt-4">
                <h3 id="contact-helpdesk" className="text-lg font-semibold">
                  Contact the helpdesk
                </h3>
                {session ? (
                  <HelpRequestForm
                    maxLength={CASE_MESSAGE_MAX_LENGTH}
                    action={sendHelpRequestAction}
                  />
                ) : (
                  <p>
                    Email {helpdesk}, or sign in and send a request from this page: the helpdesk
                    then knows it is you who asks.
                  </p>
                )}
              </section>
            )}
          </section>
        ))}
      </div>
      {/* Not a heading: the page's h2s are its questions, one each. */}
      <section aria-label="Data credits" className="mt-12 border-t border-slate-200 pt-6">
        <p className="max-w-prose text-sm text-slate-700">
          <strong>Data credits.</strong> Locations and network names in My sign-ins and Devices come
          from these data sets:
        </p>
        <ul className="mt-2 list-disc space-y-1 pl-6 text-sm">
          {IP_DATA_CREDITS.map((credit) => (
            <li key={credit.name}>
              <a className={link} href={credit.url}>
                {credit.name}
              </a>
              , {credit.licence}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
