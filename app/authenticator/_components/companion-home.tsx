"use client";

import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { dangerButton, primaryButton, secondaryButton } from "@/components/ui/button-styles";
import type { PendingPush } from "@/lib/mfa/companion-protocol";
import {
  answerRequest,
  deviceCall,
  forgetDevice,
  loadDevice,
  registerWorker,
  totpAt,
  type AnswerResult,
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
        {request ? (
          <RequestCard
            key={request.id}
            device={device}
            request={request}
            onDone={() => void queryClient.invalidateQueries({ queryKey: ["requests"] })}
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
    </>
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
  denied: { kind: "info", text: "Denied. Nobody was signed in." },
  expired: { kind: "error", text: "This request has expired. Start again in your browser." },
  gone: { kind: "info", text: "This request was already answered." },
  refused: { kind: "error", text: "This phone couldn't answer the request. Pair it again." },
};

function RequestCard({
  device,
  request,
  onDone,
}: {
  device: StoredDevice;
  request: PendingPush;
  onDone: () => void;
}) {
  const [number, setNumber] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<AnswerResult | null>(null);
  const [reported, setReported] = useState(false);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  async function answer(decision: "approve" | "deny", fraud = false) {
    if (decision === "approve" && !/^\d{2}$/.test(number.trim())) {
      setError("Enter the two-digit number shown in your browser.");
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
      );
      setReported(fraud && outcome === "denied");
      setResult(outcome);
    } catch {
      setError("Couldn't reach the server. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  if (result) {
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

  const when = new Date(request.createdAt).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
  return (
    <div className="mt-4 rounded-md border border-slate-300 p-4">
      <h3 ref={headingRef} tabIndex={-1} className="text-lg font-semibold">
        Are you trying to sign in?
      </h3>
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
