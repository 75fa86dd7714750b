"use client";

import {
  useActionState,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type FormEvent,
} from "react";
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import type { ActionState } from "@/lib/actions/form-action";
import { idle } from "@/lib/actions/form-action";
import {
  createPasskey,
  signWithPasskey,
  type CeremonyOptions,
  type CeremonyResult,
} from "./passkey-ceremony";

type Ceremony =
  | {
      kind: "create";
      /** Server action: fresh options with a challenge the server keeps. */
      prepare: () => Promise<CeremonyOptions<PublicKeyCredentialCreationOptionsJSON>>;
    }
  | {
      kind: "sign";
      prepare: () => Promise<CeremonyOptions<PublicKeyCredentialRequestOptionsJSON>>;
    };

type PasskeyFormProps = {
  ceremony: Ceremony;
  /** Server action that checks the browser's answer (sent as `answerName`). */
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  answerName: string;
  buttonLabel: string;
  pendingLabel: string;
  variant?: "primary" | "secondary";
  /** Hidden fields sent with the answer. */
  fields?: Record<string, string>;
  /** A text field sent with the answer, such as the passkey's name. */
  textField?: {
    label: string;
    name: string;
    defaultValue: string;
    maxLength: number;
    hint?: string;
  };
  /** Optional controls inside the form, such as "Don't ask again". */
  children?: React.ReactNode;
};

const noSubscription = () => () => {};

/**
 * A form whose button runs a passkey ceremony in the browser first — the server prepares the
 * challenge, the browser asks the person, the answer goes back with the form — so the server
 * action checks everything itself.
 */
export function PasskeyForm({
  ceremony,
  action,
  answerName,
  buttonLabel,
  pendingLabel,
  variant = "primary",
  fields = {},
  textField,
  children,
}: PasskeyFormProps) {
  const [state, formAction, submitting] = useActionState(action, idle);
  const [waiting, setWaiting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const answerRef = useRef<HTMLInputElement>(null);
  const busy = waiting || submitting;
  // Until the page's script runs, the button would post the form with no answer, which the server
  // can only refuse ("We couldn't check that passkey"): it waits, disabled, for the script.
  const ready = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );

  // Each answer is used once: a refused one is cleared so the next try asks the browser again.
  useEffect(() => {
    if (state.status === "error" && answerRef.current) answerRef.current.value = "";
  }, [state]);

  async function run(): Promise<void> {
    setProblem(null);
    setWaiting(true);
    try {
      const prepared = await ceremony.prepare();
      if (!prepared.ok) {
        setProblem(prepared.message);
        return;
      }
      const result: CeremonyResult =
        ceremony.kind === "create"
          ? await createPasskey(prepared.options as PublicKeyCredentialCreationOptionsJSON)
          : await signWithPasskey(prepared.options as PublicKeyCredentialRequestOptionsJSON);
      if (!result.ok) {
        setProblem(result.message);
        return;
      }
      answerRef.current!.value = result.response;
      formRef.current!.requestSubmit();
    } catch {
      setProblem("Something went wrong. Try again.");
    } finally {
      setWaiting(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    // The form goes to the server only with an answer; pressing the button (or Enter) asks first.
    if (answerRef.current?.value) return;
    event.preventDefault();
    if (!busy) void run();
  }

  const message = problem ?? (state.status === "error" ? state.message : undefined);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;
  return (
    <form ref={formRef} action={formAction} onSubmit={onSubmit} className="space-y-4" noValidate>
      {message && <Alert kind="error">{message}</Alert>}
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <input ref={answerRef} type="hidden" name={answerName} defaultValue="" />
      {textField && (
        <Field
          label={textField.label}
          name={textField.name}
          type="text"
          defaultValue={textField.defaultValue}
          maxLength={textField.maxLength}
          hint={textField.hint}
          autoComplete="off"
          errors={fieldErrors?.[textField.name]}
        />
      )}
      {children}
      <button
        type="submit"
        disabled={busy || !ready}
        aria-disabled={busy || !ready}
        className={variant === "primary" ? primaryButton : secondaryButton}
      >
        {busy ? pendingLabel : buttonLabel}
      </button>
    </form>
  );
}
