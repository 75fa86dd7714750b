import type Provider from "oidc-provider";

// The provider runs in server.ts's process; the portal's pages and actions run in the same
// process but in Next's own module graph, so they find it here rather than by import.

const KEY = Symbol.for("factor.oidc.provider");
const holder = globalThis as unknown as { [KEY]?: Provider };

export function setRunningProvider(provider: Provider | undefined): void {
  holder[KEY] = provider;
}

/** The provider serving this process, or undefined (tests of the portal without it). */
export function runningProvider(): Provider | undefined {
  return holder[KEY];
}
