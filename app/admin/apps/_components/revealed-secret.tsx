"use client";

import { createContext, useCallback, useContext, useMemo, useState } from "react";

// How a new app's client secret reaches the app's page once (R-A19.4). "Add application" is a
// dialog on the list; its action returns the secret in its answer, and the dialog hands it to
// this holder and opens the app's page, which takes it and shows it. The holder is React state in
// the /admin/apps layout, which stays mounted while the browser moves between these pages: the
// secret is never in a URL (history, logs, Referer), a cookie or storage, and never sent again.
// It is forgotten as soon as the page has taken it, so a reload, or coming back, no longer shows
// it. Rotation needs none of this: its dialog shows the new secret on the page itself.

type Revealed = { appId: string; secret: string };

type Holder = {
  revealed: Revealed | null;
  hand: (revealed: Revealed) => void;
  forget: (appId: string) => void;
};

const RevealedSecret = createContext<Holder | null>(null);

/** Holds a secret between the action that made it and the page that shows it. */
export function RevealedSecretProvider({ children }: { children: React.ReactNode }) {
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const hand = useCallback((next: Revealed) => setRevealed(next), []);
  const forget = useCallback(
    (appId: string) => setRevealed((held) => (held?.appId === appId ? null : held)),
    [],
  );
  const holder = useMemo(() => ({ revealed, hand, forget }), [revealed, hand, forget]);
  return <RevealedSecret.Provider value={holder}>{children}</RevealedSecret.Provider>;
}

/** The holder of a just-made secret; see RevealedSecretProvider. */
export function useRevealedSecret(): Holder {
  const holder = useContext(RevealedSecret);
  if (!holder) throw new Error("useRevealedSecret needs RevealedSecretProvider above it");
  return holder;
}
