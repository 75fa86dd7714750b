"use client";

import { useSyncExternalStore } from "react";
import { dangerButton } from "@/components/ui/button-styles";
import { cancelAccountRecoveryAction } from "../actions";

function subscribeToHash(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

const readHash = () => window.location.hash.slice(1);

/**
 * "Cancel recovery": the link's token lives in the fragment (never sent with a request, nor in a
 * Referer, R-A12.11); it goes to the server only in this form's POST.
 */
export function CancelForm() {
  const token = useSyncExternalStore(subscribeToHash, readHash, () => "");
  return (
    <form action={cancelAccountRecoveryAction}>
      <input type="hidden" name="token" value={token} />
      <button type="submit" className={dangerButton} disabled={token === ""}>
        Cancel recovery
      </button>
    </form>
  );
}
