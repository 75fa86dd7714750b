import { isIP } from "node:net";

// Addresses as the IP data is keyed: parsed, normalised, and told apart from private ones.

export type ParsedIp =
  { family: 4; value: number; text: string } | { family: 6; words: Uint32Array; text: string };

/** Eight 16-bit groups, or null. Accepts "::" and a dotted IPv4 tail; assumes isIP() passed. */
function ipv6Groups(input: string): number[] | null {
  let text = input;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const [a = 0, b = 0, c = 0, d = 0] = text
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = parse(halves[0]!);
  if (halves.length === 1) return left.length === 8 ? left : null;
  const right = parse(halves[1]!);
  const missing = 8 - left.length - right.length;
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as "::". */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** Parses and normalises an address; IPv4-mapped IPv6 becomes IPv4; zone ids are dropped. */
export function parseIp(input: string | null | undefined): ParsedIp | null {
  if (!input) return null;
  let text = input.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone > 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) {
    const octets = text.split(".").map(Number);
    const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    return { family: 4, value, text: octets.join(".") };
  }
  if (family !== 6) return null;
  const groups = ipv6Groups(text.toLowerCase());
  if (!groups || groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const value = ((groups[6]! << 16) | groups[7]!) >>> 0;
    return {
      family: 4,
      value,
      text: [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join("."),
    };
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return { family: 6, words, text: formatIpv6(groups) };
}

// Addresses that never locate a person: private (RFC 1918, unique local), shared (RFC 6598),
// loopback, link-local, "this network" and the unspecified address.
const PRIVATE_V4: [number, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
].map(([base, bits]) => [(parseIp(base as string) as { value: number }).value, bits as number]);

/** Whether the address is one that never locates a person (private, loopback, link-local…). */
export function isPrivate(ip: ParsedIp): boolean {
  if (ip.family === 4) {
    return PRIVATE_V4.some(([base, bits]) => ip.value >>> (32 - bits) === base >>> (32 - bits));
  }
  const [w0, w1, w2, w3] = ip.words as unknown as [number, number, number, number];
  if (w0 === 0 && w1 === 0 && w2 === 0 && (w3 === 0 || w3 === 1)) return true; // :: and ::1
  const first = w0 >>> 16;
  return (
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (first & 0xffc0) === 0xfec0 // fec0::/10 site-local (deprecated)
  );
}
