import type { Metadata } from "next";
import Link from "next/link";
import { IP_DATA_CREDITS } from "@/lib/activity/ip-intel";
import { CASE_MESSAGE_MAX_LENGTH } from "@/lib/cases/report";
import { requireSession } from "@/lib/auth/current";
import { PIN_MAX_FAILURES, rememberMfaDays, sessionLimits } from "@/lib/settings/policy";
import { getEnv } from "@/lib/env";
import { HelpRequestForm } from "@/components/forms/help-request-form";
import { sendHelpRequestAction } from "./actions";

export const metadata: Metadata = { title: "Help" };

const link = "text-brand-700 underline";

export default async function HelpPage() {
  await requireSession();
  const { HELPDESK_EMAIL, ORG_NAME, PASSWORD_LOCKOUT_THRESHOLD } = getEnv();
  const rememberDays = rememberMfaDays();
  const idleMinutes = Math.round(sessionLimits().idleMs / 60_000);
  const staySignedInDays = Math.round(sessionLimits(true).idleMs / (24 * 3600_000));
  const helpdesk = (
    <a className={link} href={`mailto:${HELPDESK_EMAIL}`}>
      {HELPDESK_EMAIL}
    </a>
  );

  const faq: { id: string; question: string; answer: React.ReactNode }[] = [
    {
      id: "fewer-requests",
      question: "How can I reduce the number of verification requests?",
      answer: (
        <>
          <p>
            On a computer or phone that only you use, answer <q>Yes</q> to <q>Stay signed in?</q>:
            you stay signed in for up to {staySignedInDays} days of inactivity instead of{" "}
            {idleMinutes} minutes.
            {rememberDays > 0 && (
              <>
                {" "}
                When you enter a code, tick <q>Don&apos;t ask again for {rememberDays} days</q> and
                that browser skips the second step for {rememberDays} days.
              </>
            )}{" "}
            Never do either on a shared or public computer.
          </p>
          <p>
            Make the authenticator app your default sign-in method on{" "}
            <Link className={link} href="/security-info">
              Security info
            </Link>
            : a code from the app is quicker than waiting for a text or a call.
          </p>
          <p>
            Some sign-ins always ask, whatever you chose: from a VPN or a cloud or hosting network,
            from a country you haven&apos;t signed in from recently, or when two sign-ins are too
            far apart to travel between. That is how we notice someone else using your password.
            Changing your password or choosing <q>Sign out everywhere</q> also ends every{" "}
            <q>Don&apos;t ask again</q>.
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
            A VPN makes your sign-ins look as if they come from the VPN provider&apos;s network,
            often in another country. We treat sign-ins from VPN and hosting networks, and from new
            countries, as risky: we always ask for your second sign-in method, email you, and after
            several risky sign-ins in a row we ask you to change your password in case someone else
            has it.
          </p>
          <p>
            If it was you, open{" "}
            <Link className={link} href="/sign-ins">
              My sign-ins
            </Link>{" "}
            and choose <q>This was me</q> on the sign-in from the VPN: we then treat that network as
            one of yours. Signing in without the VPN also avoids the extra prompts.
          </p>
          <p>
            Apps that keep your old password (mail, VPN and wifi settings) keep failing after a
            change, and each failure counts against your account: update the password saved in each
            of them.
          </p>
        </>
      ),
    },
    {
      id: "limited-signal",
      question: "What if I have limited wifi or phone signal?",
      answer: (
        <>
          <p>
            An authenticator app makes codes with no connection at all — no wifi, no signal, no data
            — so it is the best method when you travel. Set it up on{" "}
            <Link className={link} href="/security-info">
              Security info
            </Link>{" "}
            before you go.
          </p>
          <p>
            Text messages and calls need phone signal (wifi alone is not enough). Keep recovery
            codes somewhere safe as a backup: each one signs you in once, with no connection.
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
            <li>
              Install an authenticator app on your computer (any app that shows 6-digit codes, such
              as KeePassXC) and add it under <q>Add sign-in method</q>; use{" "}
              <q>Can&apos;t scan the image?</q> to type the key instead of scanning.
            </li>
            <li>Add an office or home phone that can receive calls: we call and you press #.</li>
            <li>Create recovery codes and keep them somewhere safe.</li>
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
            Choose <q>This wasn&apos;t me</q> on the sign-in in{" "}
            <Link className={link} href="/sign-ins">
              My sign-ins
            </Link>
            , or go straight to{" "}
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
          approve the sign-in. If you did not just try to sign in, hang up without pressing
          anything.
        </p>
      ),
    },
    {
      id: "mail-calendar",
      question: "My mail or calendar stopped working after I set up verification. Why?",
      answer: (
        <p>
          Older mail and calendar apps sign in with your password alone and cannot show the second
          step, so they are refused. Remove the account from the app and add it again, choosing the
          option that opens a browser to sign in, or use the web version. If you changed your
          password, update it in every app that saved it.
        </p>
      ),
    },
    {
      id: "phone-sign-in",
      question: "How do I sign in with my phone instead of my password?",
      answer: (
        <>
          <p>
            Pair your phone with the Authenticator app from{" "}
            <Link className={link} href="/security-info">
              Security info
            </Link>
            , then in the app choose <q>Enable phone sign-in</q>, enter your password and pick an
            app PIN. On the sign-in page, type your email and choose{" "}
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
      ),
    },
    {
      id: "accessible",
      question: "Is this portal accessible?",
      answer: (
        <p>
          Yes. It is built to WCAG 2.2 AA: every page works with a keyboard alone and with screen
          readers, every field has a label, errors are announced, and nothing depends on colour or
          on scanning an image — the key can be typed instead. Codes can come from an app, a text or
          a call. If something gets in your way, tell us at {helpdesk}.
        </p>
      ),
    },
    {
      id: "access-reject",
      question: "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?",
      answer: (
        <p>
          The sign-in was refused: the password was wrong or out of date, the second step was not
          completed in time, or the account is paused after repeated wrong passwords. Check the
          password saved in the VPN or wifi settings, try again and approve the request straight
          away. The attempt shows in{" "}
          <Link className={link} href="/sign-ins">
            My sign-ins
          </Link>{" "}
          as an unsuccessful sign-in. If it keeps happening, contact {helpdesk}.
        </p>
      ),
    },
    {
      id: "invalid-password",
      question: "It says \u201cInvalid username or password\u201d although I verified. Why?",
      answer: (
        <p>
          For your protection, a paused account gives the same message as a wrong password: after{" "}
          {PASSWORD_LOCKOUT_THRESHOLD} wrong passwords in a row, sign-in pauses for a while, and an
          app retrying an old saved password can cause that without you noticing. Update the
          password saved in your apps, wait a few minutes and try again. If you changed your
          password recently, use the new one everywhere.
        </p>
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
                <HelpRequestForm
                  maxLength={CASE_MESSAGE_MAX_LENGTH}
                  action={sendHelpRequestAction}
                />
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
