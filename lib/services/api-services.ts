import { createHash, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Role } from "@/lib/auth/users";
import type { Executor } from "@/lib/db/client";
import { apiServices } from "@/lib/db/schema";
import type { ServiceInfo } from "./service-sign-in";

// The services API's keys as the API sees them: what a key looks like, how it is stored, and
// which service presents it. The console's side (adding, rotating…) is lib/admin/api-services.ts.

/** Every key starts so: a leaked one is recognised by secret scanners and people alike. */
export const API_KEY_PREFIX = "fsk_";
/** 256 random bits (R-A20.5), base64url: 43 characters after the prefix. */
const API_KEY_BYTES = 32;
const API_KEY_PATTERN = /^fsk_[A-Za-z0-9_-]{43}$/;
/** How much of a key the console shows to tell keys apart: the prefix and 8 characters. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

/** The stored form of a key: its SHA-256, hex (a 256-bit random key needs no slow hash). */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A new key, to show once, with what is stored of it. */
export function newApiKey(): { key: string; keyPrefix: string; keyHash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(API_KEY_BYTES).toString("base64url")}`;
  return { key, keyPrefix: key.slice(0, SHOWN_PREFIX_LENGTH), keyHash: hashApiKey(key) };
}

/** Whether `text` has the shape of a key at all: anything else is refused unread. */
export function looksLikeApiKey(text: string): boolean {
  return API_KEY_PATTERN.test(text);
}

/** The prefix the console shows for a presented key, when it has a key's shape. */
export function shownPrefixOf(text: string): string | null {
  return looksLikeApiKey(text) ? text.slice(0, SHOWN_PREFIX_LENGTH) : null;
}

/** A service whose key was presented. */
export type ApiService = {
  id: string;
  name: string;
  allowedRoles: Role[] | null;
  passwordRequired: boolean;
  disabled: boolean;
};

/**
 * The service whose key this is, enabled or not, or null. Found by the key's hash: the lookup
 * reveals nothing about keys that are not presented whole.
 */
export async function findServiceByKey(db: Executor, key: string): Promise<ApiService | null> {
  if (!looksLikeApiKey(key)) return null;
  const [row] = await db
    .select({
      id: apiServices.id,
      name: apiServices.name,
      allowedRoles: apiServices.allowedRoles,
      passwordRequired: apiServices.passwordRequired,
      disabledAt: apiServices.disabledAt,
    })
    .from(apiServices)
    .where(eq(apiServices.keyHash, hashApiKey(key)));
  if (!row) return null;
  const { disabledAt, ...service } = row;
  return { ...service, disabled: disabledAt !== null };
}

/** Notes that the service's key was used, for the console. */
export async function touchService(db: Executor, serviceId: string): Promise<void> {
  await db
    .update(apiServices)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(apiServices.id, serviceId));
}

/** How a service is named in My sign-ins, notices and on the phone. */
export function apiServiceName(service: Pick<ApiService, "name">): string {
  return `Service (${service.name})`;
}

/** A service of the API as the services' sign-in sees it. */
export function apiServiceInfo(service: ApiService): ServiceInfo {
  return {
    id: service.id,
    protocol: "api",
    name: apiServiceName(service),
    clientId: `api:${service.id}`,
    allowedRoles: service.allowedRoles,
    passwordRequired: service.passwordRequired,
  };
}
