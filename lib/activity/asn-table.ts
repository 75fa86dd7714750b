import { readFile } from "node:fs/promises";
import type { ParsedIp } from "./ip-address";

// Everything keyed by network number (ASN): the bundled network table, loaded once from CSV into
// typed arrays, and the hosting/VPN list.

/** Ranges sorted by start; a lookup is a binary search for the last start ≤ the address. */
export type AsnTable = {
  v4Start: Uint32Array;
  v4End: Uint32Array;
  v4Asn: Uint32Array;
  v4Org: Uint32Array;
  /** Four 32-bit words per address. */
  v6Start: Uint32Array;
  v6End: Uint32Array;
  v6Asn: Uint32Array;
  v6Org: Uint32Array;
  orgs: string[];
};

const COMMA = 44;
const NEWLINE = 10;
const QUOTE = 34;

/** Reads `start,end,asn,organisation` lines byte by byte, so no line strings are kept. */
function parseAsnCsv(
  bytes: Buffer,
  orgIndex: Map<string, number>,
  orgs: string[],
  readAddress: (bytes: Buffer, from: number, to: number, out: Uint32Array, at: number) => void,
  width: 1 | 4,
) {
  let lines = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === NEWLINE) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) lines++;
  const start = new Uint32Array(lines * width);
  const end = new Uint32Array(lines * width);
  const asn = new Uint32Array(lines);
  const org = new Uint32Array(lines);
  let row = 0;
  let i = 0;
  while (i < bytes.length) {
    const c1 = bytes.indexOf(COMMA, i);
    const c2 = bytes.indexOf(COMMA, c1 + 1);
    const c3 = bytes.indexOf(COMMA, c2 + 1);
    if (c1 < 0 || c2 < 0 || c3 < 0) break;
    readAddress(bytes, i, c1, start, row * width);
    readAddress(bytes, c1 + 1, c2, end, row * width);
    let number = 0;
    for (let k = c2 + 1; k < c3; k++) number = number * 10 + (bytes[k]! - 48);
    asn[row] = number;
    let name: string;
    let next: number;
    if (bytes[c3 + 1] === QUOTE) {
      let k = c3 + 2;
      while (k < bytes.length && !(bytes[k] === QUOTE && bytes[k + 1] !== QUOTE))
        k += bytes[k] === QUOTE ? 2 : 1;
      name = bytes.toString("utf8", c3 + 2, k).replaceAll('""', '"');
      next = bytes.indexOf(NEWLINE, k);
    } else {
      next = bytes.indexOf(NEWLINE, c3 + 1);
      name = bytes.toString("utf8", c3 + 1, next < 0 ? bytes.length : next).trimEnd();
    }
    let index = orgIndex.get(name);
    if (index === undefined) {
      index = orgs.push(name) - 1;
      orgIndex.set(name, index);
    }
    org[row] = index;
    row++;
    i = next < 0 ? bytes.length : next + 1;
  }
  return {
    start: start.subarray(0, row * width),
    end: end.subarray(0, row * width),
    asn: asn.subarray(0, row),
    org: org.subarray(0, row),
  };
}

function readDecimal(bytes: Buffer, from: number, to: number, out: Uint32Array, at: number) {
  let value = 0;
  for (let k = from; k < to; k++) value = value * 10 + (bytes[k]! - 48);
  out[at] = value;
}

const groupBuffer = new Uint16Array(8);

/** Parses an IPv6 address straight from the CSV bytes (the data set writes no IPv4 tails). */
function readIpv6Text(bytes: Buffer, from: number, to: number, out: Uint32Array, at: number) {
  let count = 0;
  let gap = -1;
  let value = 0;
  let digits = 0;
  for (let k = from; k <= to; k++) {
    const c = k < to ? bytes[k]! : 58; // a final ":" flushes the last group
    if (c === 58) {
      if (digits > 0) groupBuffer[count++] = value;
      else if (k + 1 < to && bytes[k + 1] === 58) gap = count;
      else if (k > from && bytes[k - 1] === 58 && gap < 0) gap = count;
      value = 0;
      digits = 0;
      if (count > 8) return;
    } else {
      value = value * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
      digits++;
    }
  }
  const groups = new Array<number>(8).fill(0);
  const tail = gap < 0 ? 0 : count - gap;
  for (let g = 0; g < count - tail; g++) groups[g] = groupBuffer[g]!;
  for (let g = 0; g < tail; g++) groups[8 - tail + g] = groupBuffer[gap + g]!;
  for (let w = 0; w < 4; w++) out[at + w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
}

/** Loads the bundled IPv4 and IPv6 network CSVs into one table. */
export async function loadAsnTable(v4Path: string, v6Path: string): Promise<AsnTable> {
  const orgIndex = new Map<string, number>();
  const orgs: string[] = [];
  const v4 = parseAsnCsv(await readFile(v4Path), orgIndex, orgs, readDecimal, 1);
  const v6 = parseAsnCsv(await readFile(v6Path), orgIndex, orgs, readIpv6Text, 4);
  return {
    v4Start: v4.start,
    v4End: v4.end,
    v4Asn: v4.asn,
    v4Org: v4.org,
    v6Start: v6.start,
    v6End: v6.end,
    v6Asn: v6.asn,
    v6Org: v6.org,
    orgs,
  };
}

function compareV6(words: Uint32Array, table: Uint32Array, row: number): number {
  for (let k = 0; k < 4; k++) {
    const a = words[k]!;
    const b = table[row * 4 + k]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** The network holding the address, or null when the table has none (or ASN 0). */
export function findAsn(table: AsnTable, ip: ParsedIp): { asn: number; isp: string } | null {
  let low = 0;
  let high = (ip.family === 4 ? table.v4Asn.length : table.v6Asn.length) - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const atOrAfter =
      ip.family === 4
        ? ip.value >= table.v4Start[mid]!
        : compareV6(ip.words, table.v6Start, mid) >= 0;
    if (atOrAfter) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  if (found < 0) return null;
  const inside =
    ip.family === 4
      ? ip.value <= table.v4End[found]!
      : compareV6(ip.words, table.v6End, found) <= 0;
  if (!inside) return null;
  const asn = ip.family === 4 ? table.v4Asn[found]! : table.v6Asn[found]!;
  if (asn === 0) return null;
  return { asn, isp: table.orgs[ip.family === 4 ? table.v4Org[found]! : table.v6Org[found]!]! };
}

// ── hosting and VPN networks ───────────────────────────────────────────────

/** One ASN a line ("AS16509" or "16509"), `#` comments; a leading "-" removes one from the set. */
export function parseAsnList(text: string, into = new Set<number>()): Set<number> {
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const match = /^(-?)\s*(?:AS)?(\d{1,10})$/i.exec(line);
    if (!match) continue;
    const asn = Number(match[2]);
    if (match[1]) into.delete(asn);
    else into.add(asn);
  }
  return into;
}
