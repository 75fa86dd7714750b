import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberWithError,
  ParseError,
  type CountryCode,
} from "libphonenumber-js/max";
import type { Result } from "@/lib/types/result";

// Phone numbers: parsed and validated against the full numbering-plan metadata, stored in E.164.
// The only file that imports libphonenumber-js.

export type ParsedPhone = { e164: string; country: string; callingCode: string };

export type PhoneProblem = "invalid" | "country_not_allowed" | "not_mobile";

export function isCountryCode(value: unknown): value is CountryCode {
  return typeof value === "string" && (getCountries() as string[]).includes(value);
}

/**
 * Parses what a person typed, in the country they picked (a number starting with + ignores it).
 * A text needs a number that can be a mobile; `allowedCountries` empty means any (R-A5.4).
 */
export function parsePhone(
  input: string,
  country: string,
  options: { allowedCountries: string[]; needsMobile: boolean },
): Result<{ phone: ParsedPhone }, PhoneProblem> {
  const trimmed = input.trim();
  if (trimmed.length < 4 || trimmed.length > 30 || !/^[+\d\s().-]+$/.test(trimmed)) {
    return { ok: false, reason: "invalid" };
  }
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(trimmed, isCountryCode(country) ? country : undefined);
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, reason: "invalid" };
    throw error;
  }
  if (!parsed.isValid() || !parsed.country) return { ok: false, reason: "invalid" };
  if (options.allowedCountries.length > 0 && !options.allowedCountries.includes(parsed.country)) {
    return { ok: false, reason: "country_not_allowed" };
  }
  const type = parsed.getType();
  if (
    options.needsMobile &&
    type !== undefined &&
    !["MOBILE", "FIXED_LINE_OR_MOBILE"].includes(type)
  ) {
    return { ok: false, reason: "not_mobile" };
  }
  return {
    ok: true,
    phone: { e164: parsed.number, country: parsed.country, callingCode: parsed.countryCallingCode },
  };
}

function callingCodeOf(e164: string): string {
  try {
    return parsePhoneNumberWithError(e164).countryCallingCode;
  } catch {
    return e164.slice(1, 3);
  }
}

/** As Security info shows a number: "+44 •••• ••• 123" — the calling code and the last three digits. */
export function maskPhone(e164: string): string {
  const code = callingCodeOf(e164);
  return `+${code} •••• ••• ${e164.slice(-3)}`;
}

/** As "Sign in another way" names a number: "+44 XXXXXXXX12". */
export function shortPhone(e164: string): string {
  const code = callingCodeOf(e164);
  const national = e164.slice(1 + code.length);
  return `+${code} ${"X".repeat(Math.max(national.length - 2, 0))}${national.slice(-2)}`;
}

export type CountryChoice = { code: string; label: string };

/** Every country for the "Country code" picker, by English name: "United Kingdom (+44)". */
export function listCountryChoices(): CountryChoice[] {
  const names = new Intl.DisplayNames(["en"], { type: "region" });
  return getCountries()
    .map((code) => ({
      code,
      label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})`,
    }))
    .sort((a, b) => a.label.localeCompare(b.label, "en"));
}
