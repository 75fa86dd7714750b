"use client";

import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { dangerButton, primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { PIN_PATTERN, type AnswerResult, type PendingPush } from "@/lib/mfa/companion-protocol";
import {
  answerRequest,
  deviceCall,
  forgetDevice,
  loadDevice,
  pinProof,
  registerWorker,
  totpAt,
  type StoredDevice,
} from "../_lib/device";

const POLL_MS = 3000;

/** The companion app: this phone's codes, and the sign-in requests waiting for it. */
export function CompanionHome() {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Home />
    </QueryClientProvider>
  );
}

function Home() {
  const [device, setDevice] = useState<StoredDevice | null | undefined>(undefined);
  useEffect(() => {
    loadDevice()
      .then(setDevice)
      .catch(() => setDevice(null));
  }, []);

  if (device === undefined) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <p role="status">Opening…</p>
      </>
    );
  }
  if (device === null) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <p>
          This phone isn&apos;t paired yet. On your computer, open Security info, choose &ldquo;Add
          sign-in method&rdquo;, then &ldquo;Authenticator app (notifications)&rdquo;, and scan the
          QR code with this phone.
        </p>
      </>
    );
  }
  return <Paired device={device} onForget={() => setDevice(null)} />;
}

function Paired({ device, onForget }: { device: StoredDevice; onForget: () => void }) {
  const queryClient = useQueryClient();
  const registered = useRef(false);
  // Kept here, not in the request's card: the next poll no longer lists an answered request,
  // and the person must still be able to read what their answer did.
  const [answered, setAnswered] = useState<{ result: AnswerResult; reported: boolean } | null>(
    null,
  );
  const { data, isError, isFetching } = useQuery({
    queryKey: ["requests", device.deviceId],
    queryFn: () => deviceCall(device, "requests"),
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
  });

  useEffect(() => {
    if (registered.current || data === undefined) return;
    registered.current = true;
    void registerWorker(device, data?.vapidPublicKey ?? null).catch(() => undefined);
  }, [data, device]);

  if (data === null) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <Alert kind="error">
          This phone is no longer paired with your account. It was removed in Security info.
        </Alert>
        <button
          type="button"
          className={`${secondaryButton} mt-4`}
          onClick={() => void forgetDevice().then(onForget)}
        >
          Forget this phone
        </button>
      </>
    );
  }

  const request = data?.requests[0];
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
      <p className="text-slate-700">
        {device.issuer} · {device.account} · {device.name}
      </p>
      {isError && (
        <div className="mt-4">
          <Alert kind="info">You&apos;re offline. Your verification codes still work.</Alert>
        </div>
      )}
      {data && !data.active && (
        <div className="mt-4">
          <Alert kind="info">
            Enter the code below on your computer to finish adding this phone.
          </Alert>
        </div>
      )}
      <Code device={device} />

      <section aria-labelledby="requests-heading" className="mt-8">
        <h2 id="requests-heading" className="text-xl font-semibold">
          Sign-in requests
        </h2>
        {answered ? (
          <AnswerOutcome
            {...answered}
            onDone={() => {
              setAnswered(null);
              void queryClient.invalidateQueries({ queryKey: ["requests"] });
            }}
          />
        ) : request ? (
          <RequestCard
            key={request.id}
            device={device}
            request={request}
            onAnswered={(result, reported) => setAnswered({ result, reported })}
          />
        ) : (
          <p className="mt-2 text-slate-700">No requests waiting.</p>
        )}
        <button
          type="button"
          className={`${secondaryButton} mt-4`}
          disabled={isFetching}
          onClick={() => void queryClient.refetchQueries({ queryKey: ["requests"] })}
        >
          Check for notifications
        </button>
      </section>

      {data?.active && (
        <PhoneSignIn
          device={device}
          enabled={data.phoneSignIn}
          onChange={() => void queryClient.invalidateQueries({ queryKey: ["requests"] })}
        />
      )}
    </>
  );
}

/**
 * "Enable phone sign-in" / "Disable phone sign-in" / "Change app PIN". Turning it on asks the
 * person to choose an app PIN: phone sign-in's second factor, asked again before each phone
 * sign-in is approved. The phone sends only a proof of the PIN, which the server checks and
 * counts; nothing here can tell a right PIN from a wrong one.
 */
function PhoneSignIn({
  device,
  enabled,
  onChange,
}: {
  device: StoredDevice;
  enabled: boolean;
  onChange: () => void;
}) {
  const [mode, setMode] = useState<"idle" | "enable" | "change">("idle");
  const [password, setPassword] = useState("");
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [current, setCurrent] = useState("");
  const [pin, setPin] = useState("");
  const [confirm, setConfirm] = useState("");
  const [currentError, setCurrentError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  function open(next: "enable" | "change") {
    setNotice(null);
    setError(null);
    setCurrentError(null);
    setPasswordError(null);
    setPassword("");
    setCurrent("");
    setPin("");
    setConfirm("");
    setMode(next);
  }

  async function run(work: () => Promise<void>) {
    setBusy(true);
    try {
      await work();
    } catch {
      setMode("idle");
      setNotice({
        kind: "error",
        text: "Couldn't reach the server. Check your connection and try again.",
      });
    } finally {
      setBusy(false);
    }
  }

  function newPinProblem(): string | null {
    if (!PIN_PATTERN.test(pin)) return "Enter 6 to 12 digits.";
    if (pin !== confirm) return "The two PINs don't match.";
    return null;
  }

  async function turnOff() {
    setNotice(null);
    await run(async () => {
      const answer = await deviceCall(device, "phone_sign_in_off");
      if (!answer) throw new Error("unpaired");
      setNotice({ kind: "success", text: "Phone sign-in is off. Signing in needs your password." });
      onChange();
    });
  }

  async function submit() {
    if (mode === "enable" && !password) {
      setPasswordError("Enter your password.");
      return;
    }
    if (mode === "change" && !PIN_PATTERN.test(current)) {
      setCurrentError("Enter your current app PIN.");
      return;
    }
    const problem = newPinProblem();
    if (problem) {
      setError(problem);
      return;
    }
    await run(async () => {
      if (mode === "enable") {
        const answer = await deviceCall(device, "phone_sign_in_on", {
          password,
          pinProof: await pinProof(device, pin),
        });
        if (!answer) throw new Error("unpaired");
        if (answer.refused === "wrong_password") {
          setPassword("");
          setPasswordError("That password isn't right.");
          return;
        }
        setMode("idle");
        setNotice(
          answer.phoneSignIn
            ? {
                kind: "success",
                text: "Phone sign-in is on. On your computer, type your email and choose “Approve a request on my Authenticator app”.",
              }
            : { kind: "error", text: "Phone sign-in couldn't be turned on. Try again." },
        );
        onChange();
        return;
      }
      const answer = await deviceCall(device, "pin_change", {
        pinProof: await pinProof(device, current),
        newPinProof: await pinProof(device, pin),
      });
      if (!answer) throw new Error("unpaired");
      const outcome = answer.pin;
      if (outcome?.result === "wrong") {
        setCurrent("");
        setCurrentError(wrongPinText(outcome.attemptsLeft));
        return;
      }
      setMode("idle");
      if (outcome?.result === "changed")
        setNotice({ kind: "success", text: "Your app PIN was changed." });
      else if (outcome?.result === "locked") setNotice({ kind: "error", text: LOCKED_TEXT });
      else setNotice({ kind: "error", text: "Phone sign-in is off on this phone." });
      onChange();
    });
  }

  return (
    <section aria-labelledby="phone-sign-in-heading" className="mt-8">
      <h2 id="phone-sign-in-heading" className="text-xl font-semibold">
        Phone sign-in
      </h2>
      <p className="mt-2 text-slate-700">
        {enabled
          ? "On: you can sign in by approving a request here, without your password. Each approval asks for your app PIN."
          : "Off: sign in without your password by approving a request here. Turning it on asks for your password once, and you choose an app PIN. This phone needs a screen lock."}
      </p>
      {notice && mode === "idle" && (
        <div className="mt-3">
          <Alert kind={notice.kind}>{notice.text}</Alert>
        </div>
      )}
      {mode !== "idle" ? (
        <form
          className="mt-4 space-y-4"
          noValidate
          aria-label={mode === "enable" ? "Choose an app PIN" : "Change app PIN"}
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          {mode === "enable" && (
            <>
              <p className="text-slate-700">
                Confirm it&apos;s you with your password, then choose an app PIN. You&apos;ll enter
                the PIN each time you approve a phone sign-in.
              </p>
              <SecretField
                id="account-password"
                label="Password"
                value={password}
                error={passwordError}
                autoComplete="current-password"
                onChange={(value) => {
                  setPassword(value);
                  setPasswordError(null);
                }}
              />
            </>
          )}
          {mode === "change" && (
            <PinField
              id="current-app-pin"
              label="Current app PIN"
              value={current}
              error={currentError}
              onChange={(value) => {
                setCurrent(value);
                setCurrentError(null);
              }}
            />
          )}
          <PinField
            id="app-pin"
            label={
              mode === "enable"
                ? "Choose an app PIN (6 to 12 digits)"
                : "New app PIN (6 to 12 digits)"
            }
            value={pin}
            error={error}
            onChange={(value) => {
              setPin(value);
              setError(null);
            }}
          />
          <PinField
            id="app-pin-confirm"
            label={mode === "enable" ? "Confirm app PIN" : "Confirm new app PIN"}
            value={confirm}
            error={null}
            onChange={(value) => {
              setConfirm(value);
              setError(null);
            }}
          />
          <div className="flex flex-wrap gap-3">
            <button type="submit" className={primaryButton} disabled={busy}>
              {mode === "enable" ? "Turn on" : "Change PIN"}
            </button>
            <button
              type="button"
              className={secondaryButton}
              disabled={busy}
              onClick={() => setMode("idle")}
            >
              Cancel
            </button>
          </div>
          {busy && <p role="status">Checking…</p>}
        </form>
      ) : enabled ? (
        <div className="mt-4 flex flex-wrap gap-3">
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => open("change")}
          >
            Change app PIN
          </button>
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => void turnOff()}
          >
            Disable phone sign-in
          </button>
        </div>
      ) : (
        <button
          type="button"
          className={`${primaryButton} mt-4`}
          disabled={busy}
          onClick={() => open("enable")}
        >
          Enable phone sign-in
        </button>
      )}
    </section>
  );
}

const LOCKED_TEXT =
  "Too many wrong PINs: phone sign-in was turned off for this phone. Sign in with your password, then turn it on again with a new app PIN.";

function wrongPinText(attemptsLeft: number | undefined): string {
  if (attemptsLeft === undefined) return "Wrong PIN.";
  return `Wrong PIN. ${attemptsLeft} ${attemptsLeft === 1 ? "attempt" : "attempts"} left.`;
}

function PinField(props: {
  id: string;
  label: string;
  value: string;
  error: string | null;
  onChange: (value: string) => void;
}) {
  // Never "current-password"/"new-password": this origin is the portal's, and a password
  // manager would fill the portal password into a PIN field or save a PIN as the password.
  return <SecretField {...props} autoComplete="off" pin />;
}

function SecretField({
  id,
  label,
  value,
  error,
  autoComplete,
  onChange,
  pin = false,
}: {
  id: string;
  label: string;
  value: string;
  error: string | null;
  autoComplete: string;
  onChange: (value: string) => void;
  /** An app PIN: digits only, at most 12. */
  pin?: boolean;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        type="password"
        inputMode={pin ? "numeric" : undefined}
        autoComplete={autoComplete}
        maxLength={pin ? 12 : undefined}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
        className={`block ${pin ? "w-48" : "w-full max-w-sm"} rounded-md border border-slate-400 px-3 py-2 text-lg`}
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

/** The current code and how long it lasts, worked out on the phone (works offline). */
function Code({ device }: { device: StoredDevice }) {
  const [now, setNow] = useState(() => Date.now());
  const [code, setCode] = useState<string | null>(null);
  const step = Math.floor(now / 30_000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    let live = true;
    void totpAt(device, step * 30_000).then((value) => live && setCode(value));
    return () => {
      live = false;
    };
  }, [device, step]);
  const secondsLeft = 30 - Math.floor((now / 1000) % 30);
  return (
    <div className="mt-6 rounded-md bg-slate-50 p-4">
      <p className="text-sm font-medium text-slate-700">Verification code</p>
      <output
        aria-label="Verification code"
        aria-live="off"
        className="block font-mono text-4xl tracking-widest text-slate-900"
      >
        {code ?? "······"}
      </output>
      <p className="text-sm text-slate-600">Changes in {secondsLeft} seconds</p>
    </div>
  );
}

const RESULTS: Record<AnswerResult, { kind: "success" | "error" | "info"; text: string }> = {
  approved: { kind: "success", text: "Approved. You can go back to your browser." },
  "wrong-number": {
    kind: "error",
    text: "That number didn't match the one in your browser, so the request was denied. Start again in your browser.",
  },
  "wrong-pin": { kind: "error", text: "Wrong PIN." },
  "pin-locked": { kind: "error", text: `${LOCKED_TEXT} The request was denied.` },
  denied: { kind: "info", text: "Denied. Nobody was signed in." },
  expired: { kind: "error", text: "This request has expired. Start again in your browser." },
  gone: { kind: "info", text: "This request was already answered." },
  refused: { kind: "error", text: "This phone couldn't answer the request. Pair it again." },
};

/** What an answer did, until the person has read it and pressed OK. */
function AnswerOutcome({
  result,
  reported,
  onDone,
}: {
  result: AnswerResult;
  reported: boolean;
  onDone: () => void;
}) {
  const shown = RESULTS[result];
  return (
    <div className="mt-4 space-y-3">
      <Alert kind={shown.kind}>
        {reported
          ? "Reported. Requests to this phone are paused for an hour. Change your password soon: someone may know it."
          : shown.text}
      </Alert>
      <button type="button" className={secondaryButton} onClick={onDone}>
        OK
      </button>
    </div>
  );
}

function RequestCard({
  device,
  request,
  onAnswered,
}: {
  device: StoredDevice;
  request: PendingPush;
  onAnswered: (result: AnswerResult, reported: boolean) => void;
}) {
  const [number, setNumber] = useState("");
  const [pin, setPin] = useState("");
  const [pinError, setPinError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  async function answer(decision: "approve" | "deny", fraud = false) {
    if (decision === "approve" && !/^\d{2}$/.test(number.trim())) {
      setError("Enter the two-digit number shown in your browser.");
      return;
    }
    // Phone sign-in replaces the password: approving it needs the app PIN, which the server
    // checks. Only its shape is looked at here.
    const withPin = decision === "approve" && request.purpose === "phone_sign_in";
    if (withPin && !PIN_PATTERN.test(pin)) {
      setPinError("Enter your app PIN (6 to 12 digits).");
      return;
    }
    setBusy(true);
    try {
      const outcome = await answerRequest(
        device,
        request,
        decision,
        decision === "approve" ? number.trim() : "",
        fraud,
        withPin ? await pinProof(device, pin) : "",
      );
      if (outcome.result === "wrong-pin") {
        // The request still waits: the person may try again, within what is left.
        setPin("");
        setPinError(wrongPinText(outcome.attemptsLeft));
        return;
      }
      onAnswered(outcome.result, fraud && outcome.result === "denied");
    } catch {
      setError("Couldn't reach the server. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  const when = new Date(request.createdAt).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
  return (
    <div className="mt-4 rounded-md border border-slate-300 p-4">
      <h3 ref={headingRef} tabIndex={-1} className="text-lg font-semibold">
        Are you trying to sign in?
      </h3>
      {request.purpose === "phone_sign_in" && (
        <p className="mt-1 text-sm font-medium text-slate-800">
          Phone sign-in: approving signs you in without your password.
        </p>
      )}
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">App</dt>
        <dd>{request.app}</dd>
        <dt className="font-medium">Location</dt>
        <dd>{request.location}</dd>
        {request.ip && (
          <>
            <dt className="font-medium">IP address</dt>
            <dd>{request.ip}</dd>
          </>
        )}
        {request.device && (
          <>
            <dt className="font-medium">Browser</dt>
            <dd>{request.device}</dd>
          </>
        )}
        <dt className="font-medium">Time</dt>
        <dd>{when}</dd>
      </dl>
      <form
        className="mt-4 space-y-4"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void answer("approve");
        }}
      >
        <div className="space-y-1">
          <label htmlFor="push-number" className="block text-sm font-medium text-slate-800">
            Enter the number shown in your browser
          </label>
          <input
            id="push-number"
            name="number"
            inputMode="numeric"
            autoComplete="off"
            maxLength={2}
            value={number}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "push-number-error" : undefined}
            onChange={(event) => {
              setNumber(event.target.value);
              setError(null);
            }}
            className="block w-24 rounded-md border border-slate-400 px-3 py-2 text-2xl"
          />
          {error && (
            <p id="push-number-error" role="alert" className="text-sm font-medium text-red-700">
              {error}
            </p>
          )}
        </div>
        {request.purpose === "phone_sign_in" && (
          <PinField
            id="push-pin"
            label="App PIN"
            value={pin}
            error={pinError}
            onChange={(value) => {
              setPin(value);
              setPinError(null);
            }}
          />
        )}
        <div className="flex flex-wrap gap-3">
          <button type="submit" className={primaryButton} disabled={busy}>
            Approve
          </button>
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => void answer("deny")}
          >
            Deny
          </button>
          <button
            type="button"
            className={dangerButton}
            disabled={busy}
            onClick={() => void answer("deny", true)}
          >
            This wasn&apos;t me
          </button>
        </div>
      </form>
    </div>
  );
}
