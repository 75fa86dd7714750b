import "server-only";

const MAX_BODY_BYTES = 8 * 1024;

/** A JSON answer that no cache keeps. */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}

/** The request's body as text, or null when it is too large to be one of ours. */
export async function readSmallBody(request: Request): Promise<string | null> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return null;
  const text = await request.text();
  return Buffer.byteLength(text) > MAX_BODY_BYTES ? null : text;
}

/** The body parsed as a JSON object, or null. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown> | null> {
  const text = await readSmallBody(request);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
