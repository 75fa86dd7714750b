/**
 * Returns a same-origin path for `callbackUrl`-style input, or the fallback (R-A17.4).
 * Only single-slash relative paths pass; the result is re-serialised from the parsed URL.
 */
export function safeRedirectPath(value: unknown, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // Control characters and backslashes are normalised differently by browsers; refuse them.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  const base = "http://factor.invalid";
  try {
    const url = new URL(value, base);
    if (url.origin !== base) return fallback;
    // Next's client asks for a page's RSC payload with a cache-busting `_rsc` parameter; it is
    // never part of the address to come back to.
    if (url.searchParams.has("_rsc")) url.searchParams.delete("_rsc");
    const path = `${url.pathname}${url.search}${url.hash}`;
    // Dot segments are resolved by parsing: "/.//evil.example" becomes "//evil.example", which a
    // browser reads as another host. The result is checked again, not only the input.
    if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return fallback;
    return path;
  } catch {
    return fallback;
  }
}
