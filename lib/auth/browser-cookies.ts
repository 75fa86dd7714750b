import "server-only";
import { cookies } from "next/headers";
import { cookieSecurity } from "./cookie-security";
import { rememberMfaDays } from "@/lib/settings/policy";
import type { BrowserState } from "./sign-in";

// What a browser remembers between sign-ins, each in its own HttpOnly cookie.

const STAY_CHOICE = "factor.stay-choice";
const REMEMBERED_MFA = "factor.mfa-remembered";
const YEAR_SECONDS = 365 * 24 * 3600;

function options(maxAge: number) {
  const { secure } = cookieSecurity();
  return { httpOnly: true, secure, sameSite: "lax" as const, path: "/", maxAge };
}

function name(base: string) {
  return `${cookieSecurity().prefix}${base}`;
}

/** This browser's remembered answers. */
export async function readBrowserState(): Promise<BrowserState> {
  const jar = await cookies();
  const choice = jar.get(name(STAY_CHOICE))?.value;
  return {
    stayChoice: choice === "yes" ? true : choice === "no" ? false : null,
    rememberedToken: jar.get(name(REMEMBERED_MFA))?.value,
  };
}

/** "Don't show this again" on "Stay signed in?": remembered per browser. */
export async function rememberStayChoice(staySignedIn: boolean): Promise<void> {
  (await cookies()).set(name(STAY_CHOICE), staySignedIn ? "yes" : "no", options(YEAR_SECONDS));
}

/** "Don't ask again for N days": keeps the token of the remembered-browser row. */
export async function setRememberedMfaCookie(token: string): Promise<void> {
  (await cookies()).set(name(REMEMBERED_MFA), token, options(rememberMfaDays() * 24 * 3600));
}
