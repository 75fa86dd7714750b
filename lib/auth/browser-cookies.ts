import "server-only";
import { portalCookie } from "./cookie-security";
import { rememberMfaDays } from "@/lib/settings/policy";
import type { BrowserState } from "./sign-in";

// What a browser remembers between sign-ins, each in its own HttpOnly cookie.

const stayChoice = portalCookie("factor.stay-choice");
const rememberedMfa = portalCookie("factor.mfa-remembered");
const YEAR_SECONDS = 365 * 24 * 3600;

/** This browser's remembered answers. */
export async function readBrowserState(): Promise<BrowserState> {
  const choice = await stayChoice.read();
  return {
    stayChoice: choice === "yes" ? true : choice === "no" ? false : null,
    rememberedToken: await rememberedMfa.read(),
  };
}

/** "Don't show this again" on "Stay signed in?": remembered per browser. */
export async function rememberStayChoice(staySignedIn: boolean): Promise<void> {
  await stayChoice.write(staySignedIn ? "yes" : "no", YEAR_SECONDS);
}

/** "Don't ask again for N days": keeps the token of the remembered-browser row. */
export async function setRememberedMfaCookie(token: string): Promise<void> {
  await rememberedMfa.write(token, rememberMfaDays() * 24 * 3600);
}
