import { isIP } from "node:net";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { PASSWORD_MAX_LENGTH } from "@/lib/security/password";
import { getThrottle, recordFailure } from "@/lib/security/throttle";
import { apiKeyThrottlePolicy } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import {
  apiServiceInfo,
  findServiceByKey,
  shownPrefixOf,
  touchService,
  type ApiService,
} from "./api-services";
import {
  SERVICE_MESSAGES,
  signInToService,
  type ServiceDecision,
  type ServiceWaitOptions,
} from "./service-sign-in";

// POST /api/v1/verify (docs/services-api.md, docs/openapi/services-api.yaml): an adapter between
// HTTP and the services' sign-in, as lib/radius/conversation.ts is for RADIUS. What is HTTP's own
// is here: the service's key in the Authorization header, the JSON body, and the status codes.
// The key is the request's only credential — no session, no cookie — so the portal's same-origin
// check does not apply to this path (server.ts): a page elsewhere cannot send a Bearer key it
// does not have, and a browser will not send this JSON across origins without a preflight
// Factor never answers.

const MAX_BODY_BYTES = 8 * 1024;
const MAX_EMAIL_LENGTH = 320;

/** What a call to the API asks, as JSON. */
export const verifyRequestSchema = z
  .strictObject(
    {
      user: z
        .string({ error: "user must be the person's email address." })
        .trim()
        .min(1, "user must be the person's email address.")
        .max(MAX_EMAIL_LENGTH, `user must be at most ${MAX_EMAIL_LENGTH} characters.`),
      password: z
        .string({ error: "password must be a string." })
        .min(1, "password must not be empty.")
        .max(PASSWORD_MAX_LENGTH * 4, "password is too long.")
        .optional(),
      code: z
        .string({ error: "code must be a string." })
        .min(1, "code must not be empty.")
        .max(64, "code is too long.")
        .optional(),
      state: z
        .string({ error: "state must be a string." })
        .min(1, "state must not be empty.")
        .max(128, "state is too long.")
        .optional(),
      ip: z
        .string({ error: "ip must be an IP address." })
        .refine((value) => isIP(value) !== 0, "ip must be an IP address.")
        .optional(),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? "Unknown field." : undefined) },
  )
  .refine((body) => body.state === undefined || body.code !== undefined, {
    message: "code is required with state.",
    path: ["code"],
  });
export type VerifyRequestInput = z.infer<typeof verifyRequestSchema>;

/** The JSON the API answers: a decision for the service to act on, or an error. */
export type VerifyAnswer =
  | { result: "accept" | "reject"; message: string }
  | { result: "challenge"; message: string; state: string };

export type VerifyError = {
  error: "invalid_key" | "invalid_request" | "unsupported_media_type" | "too_many_requests";
  message: string;
  fields?: Record<string, string[]>;
};

function json(body: VerifyAnswer | VerifyError, status = 200, headers: HeadersInit = {}) {
  return Response.json(body, {
    status,
    headers: { "Cache-Control": "no-store", ...headers },
  });
}

function invalid(message: string, fields?: Record<string, string[]>): Response {
  return json({ error: "invalid_request", message, ...(fields ? { fields } : {}) }, 400);
}

/** The key of `Authorization: Bearer <key>` (RFC 6750 §2.1), or null. */
function bearerToken(header: string | null): string | null {
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

/** The body as a JSON value; "too_large" or "malformed" when it is not one of ours. */
async function readJson(request: Request): Promise<{ value: unknown } | "too_large" | "malformed"> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return "too_large";
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return "too_large";
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return "malformed";
  }
}

type KeyRefusal = "missing" | "unknown" | "disabled";

/**
 * A call without a valid key: counted against the calling address, which pauses after
 * repeated ones, and audited — never a sign-in, since no service vouched for it (R-A20.5).
 */
async function refuseKey(
  db: Db,
  reason: KeyRefusal,
  key: string | null,
  service: ApiService | null,
  peer: RequestContext,
): Promise<Response> {
  await db.transaction(async (tx) => {
    const counted = await recordFailure(
      tx,
      "api_key:ip",
      peer.ip ?? "unknown",
      apiKeyThrottlePolicy(),
    );
    await writeAudit(tx, {
      action: "services_api.key_refused",
      outcome: "denied",
      actorId: null,
      subjectId: null,
      ip: peer.ip,
      userAgent: peer.userAgent,
      details: {
        reason,
        keyPrefix: key === null ? null : shownPrefixOf(key),
        service: service?.name ?? null,
        serviceId: service?.id ?? null,
        failures: counted.failures,
        ...(counted.lockStarted ? { pausedUntil: counted.lockedUntil!.toISOString() } : {}),
      },
    });
  });
  return json(
    {
      error: "invalid_key",
      message:
        reason === "missing"
          ? "Send the service's API key as Authorization: Bearer <key>."
          : "The API key is not valid: it is wrong, rotated, or its service is disabled or deleted.",
    },
    401,
    {
      "WWW-Authenticate":
        reason === "missing"
          ? 'Bearer realm="factor"'
          : 'Bearer realm="factor", error="invalid_token"',
    },
  );
}

function toAnswer(decision: ServiceDecision): VerifyAnswer {
  return decision.result === "accept"
    ? { result: "accept", message: SERVICE_MESSAGES.accepted }
    : decision;
}

/**
 * Answers one call of `POST /api/v1/verify`. `peer` is the caller's address as server.ts derived
 * it (the service's host); the person's own address may come in the body's `ip`.
 */
export async function answerVerifyRequest(
  db: Db,
  request: Request,
  peer: RequestContext,
  options: ServiceWaitOptions,
): Promise<Response> {
  // An address that keeps presenting wrong keys is paused, right key or not, as a password
  // step's address is (R-A11.2).
  const pause = await getThrottle(db, "api_key:ip", peer.ip ?? "unknown");
  if (pause.locked) {
    return json(
      {
        error: "too_many_requests",
        message: "Too many calls with a wrong API key from this address. Wait, then try again.",
      },
      429,
      { "Retry-After": String(pause.secondsLeft) },
    );
  }

  const key = bearerToken(request.headers.get("authorization"));
  const service = key === null ? null : await findServiceByKey(db, key);
  if (key === null) return refuseKey(db, "missing", null, null, peer);
  if (!service) return refuseKey(db, "unknown", key, null, peer);
  if (service.disabled) return refuseKey(db, "disabled", key, service, peer);

  // JSON only: a form or text/plain body is what a cross-site page could send (R-A17.2).
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return json(
      { error: "unsupported_media_type", message: "Send the body as application/json." },
      415,
    );
  }
  const read = await readJson(request);
  if (read === "too_large") return invalid(`The body must be at most ${MAX_BODY_BYTES} bytes.`);
  if (read === "malformed") return invalid("The body is not valid JSON.");
  if (!read.value || typeof read.value !== "object" || Array.isArray(read.value)) {
    return invalid("The body must be a JSON object.");
  }
  // Exactly one string per field: an array of codes is refused whole (R-A11.7, R-A17.3).
  const parsed = verifyRequestSchema.safeParse(read.value);
  if (!parsed.success) {
    const fields: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const names = issue.code === "unrecognized_keys" ? issue.keys : [String(issue.path[0] ?? "")];
      for (const name of names) (fields[name] ??= []).push(issue.message);
    }
    return invalid("Some fields are missing or malformed; nothing was checked.", fields);
  }
  const body = parsed.data;
  if (service.passwordRequired && body.state === undefined && body.password === undefined) {
    return invalid("This service must send the person's password.", {
      password: ["password is required by this service."],
    });
  }

  await touchService(db, service.id);
  let decision: ServiceDecision;
  try {
    decision = await signInToService(
      db,
      apiServiceInfo(service),
      {
        userName: body.user,
        password: body.password ?? null,
        code: body.code ?? null,
        state: body.state ?? null,
        // Where the person is, as the service reports it, else the service itself (R-A14.1).
        context: { ip: body.ip ?? peer.ip, userAgent: null },
      },
      options,
    );
  } catch (error) {
    // Fails closed (R-A17.6): the person is refused, and told it was not their doing.
    console.error("Services API request failed:", error);
    return json({ result: "reject", message: SERVICE_MESSAGES.unavailable }, 503);
  }
  return json(toAnswer(decision));
}
