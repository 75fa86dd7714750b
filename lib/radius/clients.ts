import { randomBytes } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { isNull } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { radiusClients } from "@/lib/db/schema";
import { seal, unseal } from "@/lib/security/sealing";
import type { Role } from "@/lib/auth/users";

// The RADIUS clients as the server sees them: which one a packet's source address belongs to,
// and its shared secret. The console's side (adding, rotating…) is lib/admin/radius-clients.ts.

/**
 * 192 random bits (R-A20.1 asks for at least 128) as 48 hex digits: every VPN's form and
 * command line takes them as typed, where a secret starting with "-" reads as an option.
 */
const SHARED_SECRET_BYTES = 24;

/** A new shared secret, to show once and keep only sealed. */
export function newSharedSecret(): string {
  return randomBytes(SHARED_SECRET_BYTES).toString("hex");
}

/** What a sealed secret is bound to: its client, so a secret copied to another row does not open. */
function sealingContext(clientId: string): string {
  return `radius-client:${clientId}`;
}

export function sealSharedSecret(clientId: string, secret: string): string {
  return seal(secret, sealingContext(clientId));
}

/** An address as a block: `{ network, prefix, family }`. */
export type AddressBlock = { network: string; prefix: number; family: "ipv4" | "ipv6" };

/** "::ffff:192.0.2.1" (an IPv4 peer on a dual-stack socket) is 192.0.2.1. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * Reads "192.0.2.10", "192.0.2.0/24" or "2001:db8::/32" (a single address is a /32 or /128);
 * null for anything else. The normalised text is what is stored.
 */
export function parseAddressBlock(text: string): (AddressBlock & { text: string }) | null {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const plain = plainAddress(address);
  const version = isIP(plain);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max || (prefix === 0 && max === 32) || (prefix === 0 && max === 128)) return null;
  const family = version === 4 ? "ipv4" : "ipv6";
  const normalised = prefix === max ? plain.toLowerCase() : `${plain.toLowerCase()}/${prefix}`;
  return { network: plain, prefix, family, text: normalised };
}

function contains(block: AddressBlock, address: string): boolean {
  const list = new BlockList();
  list.addSubnet(block.network, block.prefix, block.family);
  const version = isIP(address);
  if (version === 0) return false;
  return list.check(address, version === 4 ? "ipv4" : "ipv6");
}

/** A client the server may answer, with its secret opened. */
export type ActiveRadiusClient = {
  id: string;
  name: string;
  secret: string;
  requireMessageAuthenticator: boolean;
  allowedRoles: Role[] | null;
};

/**
 * The enabled client whose address or block holds `source` — the narrowest block when several
 * do — or null. A secret that no longer opens (its sealing key removed) makes the client unusable.
 */
export async function findClientByAddress(
  db: Executor,
  source: string,
): Promise<ActiveRadiusClient | null> {
  const address = plainAddress(source);
  const rows = await db
    .select({
      id: radiusClients.id,
      name: radiusClients.name,
      address: radiusClients.address,
      sealedSecret: radiusClients.sealedSecret,
      requireMessageAuthenticator: radiusClients.requireMessageAuthenticator,
      allowedRoles: radiusClients.allowedRoles,
    })
    .from(radiusClients)
    .where(isNull(radiusClients.disabledAt));
  const matching = rows
    .map((row) => ({ row, block: parseAddressBlock(row.address) }))
    .filter(({ block }) => block !== null && contains(block, address))
    .sort((a, b) => b.block!.prefix - a.block!.prefix);
  const found = matching[0]?.row;
  if (!found) return null;
  try {
    return {
      id: found.id,
      name: found.name,
      secret: unseal(found.sealedSecret, sealingContext(found.id)),
      requireMessageAuthenticator: found.requireMessageAuthenticator,
      allowedRoles: found.allowedRoles,
    };
  } catch {
    return null;
  }
}

/** How a service is named in My sign-ins, notices and on the phone. */
export function serviceName(client: Pick<ActiveRadiusClient, "name">): string {
  return `VPN (${client.name})`;
}

/** The client_id a RADIUS client's sign-in events carry: apart from any app's. */
export function serviceClientId(client: Pick<ActiveRadiusClient, "id">): string {
  return `radius:${client.id}`;
}
