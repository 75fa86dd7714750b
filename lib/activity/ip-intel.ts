import { getEnv } from "@/lib/env";
import { isPrivate, parseIp } from "./ip-address";
import { configuredSources, openIpDatabases, type IpDatabases, type IpIntel } from "./ip-databases";

// Offline IP intelligence (R-A14.1): country, city and coordinates from MaxMind-format databases,
// the network (ASN and its organisation) from a CSV loaded once into typed arrays. This module and
// the three it is built from (ip-address.ts, asn-table.ts, ip-databases.ts) are the only ones
// that read the IP data; docs/decisions/0005 records the sources and the memory.

export { parseAsnList } from "./asn-table";
export {
  configuredSources,
  openIpDatabases,
  type IpDatabases,
  type IpDataSources,
  type IpIntel,
} from "./ip-databases";

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
