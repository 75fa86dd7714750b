import { createHmac, randomBytes } from "node:crypto";
import type { BenchAccount } from "./seed";

// A browser without JavaScript, enough to sign in: it reads a page's form, posts its hidden
// fields back with what a person types (multipart, as React renders server-action forms), keeps
// cookies and follows nothing by itself.

/** Cookies by name, from Set-Cookie headers. */
export class CookieJar {
  private cookies = new Map<string, string>();

  take(setCookie: string | string[] | null | undefined): void {
    const list = Array.isArray(setCookie) ? setCookie : setCookie ? splitSetCookie(setCookie) : [];
    for (const line of list) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      if (at < 1) continue;
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  has(name: RegExp): boolean {
    return [...this.cookies.keys()].some((key) => name.test(key));
  }
}

// A comma also appears inside Expires dates; split only before "name=".
function splitSetCookie(value: string): string[] {
  return value.split(/,(?=\s*[^;,=\s]+=)/);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name.replace(/[$]/g, "\\$")}="([^"]*)"`).exec(tag);
  return match ? decodeEntities(match[1]!) : undefined;
}

/** The hidden fields of the first form on a page that has a field named `fieldName`. */
export function formFields(html: string, fieldName: string): Record<string, string> {
  const form = html
    .split(/<form[\s>]/)
    .slice(1)
    .map((part) => part.split("</form>")[0]!)
    .find((part) => part.includes(`name="${fieldName}"`));
  if (!form) throw new Error(`no form with a field "${fieldName}" on the page`);
  const fields: Record<string, string> = {};
  for (const tag of form.match(/<input[^>]*>/g) ?? []) {
    if (attribute(tag, "type") !== "hidden") continue;
    const name = attribute(tag, "name");
    if (name) fields[name] = attribute(tag, "value") ?? "";
  }
  return fields;
}

/** A multipart/form-data body, as a browser posts a form. */
export function multipart(fields: Record<string, string>): { body: Buffer; contentType: string } {
  const boundary = `----factorbench${randomBytes(8).toString("hex")}`;
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    body: Buffer.from(`${parts.join("")}--${boundary}--\r\n`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** RFC 6238 code for a base32 secret at a time-step (what an authenticator app shows). */
export function totpAt(secret: string, step: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "").toUpperCase())
    bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[digest.length - 1]! & 0xf;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

export const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * Hands out codes as the server accepts them: each time-step once per device, and only the
 * current step or one either side. Returns null when an account has used all three.
 */
export class CodeBook {
  private lastStep = new Map<string, number>();

  next(account: BenchAccount): string | null {
    const now = currentStep();
    const step = Math.max(now - 1, (this.lastStep.get(account.email) ?? 0) + 1);
    if (step > now + 1) return null;
    this.lastStep.set(account.email, step);
    return totpAt(account.secret, step);
  }
}

export type Page = { status: number; location: string; body: string };

/** One request with the jar's cookies; keeps the answer's cookies; never follows redirects. */
export async function visit(
  base: string,
  path: string,
  jar: CookieJar,
  form?: Record<string, string>,
): Promise<Page> {
  const headers: Record<string, string> = { cookie: jar.header() };
  let body: Buffer | undefined;
  if (form) {
    const encoded = multipart(form);
    body = encoded.body;
    headers["content-type"] = encoded.contentType;
    headers.origin = new URL(base).origin;
  }
  const response = await fetch(new URL(path, base), {
    method: form ? "POST" : "GET",
    headers,
    body: body ? new Uint8Array(body) : undefined,
    redirect: "manual",
  });
  jar.take(response.headers.getSetCookie());
  return {
    status: response.status,
    location: response.headers.get("location") ?? "",
    body: await response.text(),
  };
}

function expectRedirect(page: Page, to: RegExp, step: string): void {
  if (page.status < 300 || page.status >= 400 || !to.test(page.location)) {
    const text = page.body
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .slice(0, 300);
    throw new Error(
      `${step}: expected a redirect to ${to}, got ${page.status} ${page.location} ${text}`,
    );
  }
}

/** The password step's form fields for an account, ready to post. */
export async function passwordForm(base: string, account: BenchAccount, password: string) {
  const page = await visit(base, "/signin", new CookieJar());
  return { ...formFields(page.body, "password"), email: account.email, password };
}

/** The code step's form fields for an account whose sign-in is at the second factor. */
export async function codeForm(base: string, jar: CookieJar, account: BenchAccount) {
  const page = await visit(base, "/signin/verify", jar);
  if (page.status !== 200) throw new Error(`/signin/verify answered ${page.status}`);
  const fields = formFields(page.body, "code");
  if ("method" in fields) fields.method = account.methodId;
  return fields;
}

/**
 * Signs in as a person would, without JavaScript: password, a fresh code, "Stay signed in?" No.
 * Returns the jar holding the session cookie.
 */
export async function signIn(
  base: string,
  account: BenchAccount,
  password: string,
  codes: CodeBook,
): Promise<CookieJar> {
  const jar = new CookieJar();
  const afterPassword = await visit(base, "/signin", jar, {
    ...(await passwordForm(base, account, password)),
  });
  expectRedirect(afterPassword, /\/signin\/verify/, "password step");
  const code = codes.next(account);
  if (!code) throw new Error(`no unused code left for ${account.email}`);
  const afterCode = await visit(base, "/signin/verify", jar, {
    ...(await codeForm(base, jar, account)),
    code,
  });
  expectRedirect(afterCode, /\/signin\/stay-signed-in|^\/$|\/security-info/, "code step");
  if (/stay-signed-in/.test(afterCode.location)) {
    const stay = await visit(base, "/signin/stay-signed-in", jar);
    const fields = formFields(stay.body, "dontShowAgain");
    const done = await visit(base, "/signin/stay-signed-in", jar, { ...fields, answer: "no" });
    expectRedirect(done, /.*/, "stay signed in");
  }
  if (!jar.has(/session/)) throw new Error(`signed in as ${account.email} but no session cookie`);
  return jar;
}
