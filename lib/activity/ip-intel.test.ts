import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  configuredSources,
  describeLocation,
  IP_DATA_CREDITS,
  lookupIp,
  lookupIpIn,
  openIpDatabases,
  parseAsnList,
  warmIpIntel,
} from "./ip-intel";

beforeAll(async () => {
  await warmIpIntel();
}, 60_000);

describe("bundled data (R-A14.1)", () => {
  it("places a British address in London with its network", async () => {
    const intel = await lookupIp("81.2.69.160");
    expect(intel).toMatchObject({
      ip: "81.2.69.160",
      network: "public",
      countryCode: "GB",
      countryName: "United Kingdom",
      city: "London",
      asn: 20712,
      isp: "Andrews & Arnold Ltd",
      hosting: false,
    });
    expect(intel.latitude).toBeCloseTo(51.5, 0);
    expect(intel.longitude).toBeCloseTo(-0.1, 0);
    expect(describeLocation(intel)).toBe("London, United Kingdom");
  });

  it("names Google's resolver and flags its network as hosting", async () => {
    const intel = await lookupIp("8.8.8.8");
    expect(intel.countryCode).toBe("US");
    expect(intel.asn).toBe(15169);
    expect(intel.isp).toContain("Google");
    expect(intel.hosting).toBe(true);
  });

  it("looks IPv6 addresses up in the IPv6 data, normalised", async () => {
    const intel = await lookupIp("2A00:1450:4009:080B:0000:0000:0000:200E");
    expect(intel).toMatchObject({
      ip: "2a00:1450:4009:80b::200e",
      network: "public",
      countryCode: "GB",
      city: "London",
      asn: 15169,
    });
    expect(intel.latitude).not.toBeNull();
  });

  it("treats an IPv4-mapped IPv6 address as the IPv4 address", async () => {
    const mapped = await lookupIp("::ffff:81.2.69.160");
    expect(mapped).toEqual(await lookupIp("81.2.69.160"));
    expect((await lookupIp("::ffff:5102:45a0")).ip).toBe("81.2.69.160");
  });

  it("flags a network on the hosting list and not an ordinary provider", async () => {
    const aws = await lookupIp("3.5.140.2");
    expect(aws).toMatchObject({ asn: 16509, hosting: true });
    expect((await lookupIp("81.2.69.160")).hosting).toBe(false);
  });

  it.each([
    "127.0.0.1",
    "::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.1.1",
    "fe80::1",
    "fe80::1%eth0",
    "fd12:3456::1",
    "::ffff:10.0.0.1",
    "100.64.0.1",
  ])("calls %s a private network", async (address) => {
    const intel = await lookupIp(address);
    expect(intel.network).toBe("private");
    expect(intel.ip).not.toBeNull();
    expect(intel).toMatchObject({ countryCode: null, city: null, asn: null, hosting: false });
    expect(describeLocation(intel)).toBe("Private network");
  });

  it.each([null, "", "not-an-ip", "1.2.3", "256.1.1.1", "1::2::3", "81.2.69.160; drop table"])(
    "calls %j unknown",
    async (address) => {
      const intel = await lookupIp(address);
      expect(intel).toMatchObject({ ip: null, network: "unknown", countryCode: null, asn: null });
      expect(describeLocation(intel)).toBe("Unknown location");
    },
  );

  it("says only the country when the data has no city", () => {
    expect(describeLocation({ network: "public", city: null, countryName: "France" })).toBe(
      "France",
    );
    expect(describeLocation({ network: "public", city: null, countryName: null })).toBe(
      "Unknown location",
    );
  });

  it("credits every bundled data set with a licence and a link", () => {
    expect(IP_DATA_CREDITS.map((credit) => credit.licence)).toContain("CC BY 4.0");
    for (const credit of IP_DATA_CREDITS) expect(credit.url).toMatch(/^https:\/\//);
    expect(IP_DATA_CREDITS.some((credit) => credit.url === "https://db-ip.com")).toBe(true);
  });
});

describe("network table", () => {
  it("resolves both ends of sampled ranges of the bundled CSVs to their ASN", async () => {
    const sources = configuredSources({
      GEOIP_CITY_PATH: undefined,
      GEOIP_COUNTRY_PATH: undefined,
      GEOIP_ASN_PATH: undefined,
      HOSTING_ASNS_PATH: undefined,
    });
    const databases = await openIpDatabases({ ...sources, city: [], country: [] });
    const folder = path.dirname((sources.asn as { csvV4: string }).csvV4);
    let checked = 0;
    for (const file of ["asn-ipv4.csv", "asn-ipv6.csv"]) {
      const lines = readFileSync(path.join(folder, file), "utf8").split("\n");
      for (let i = 0; i < lines.length; i += 997) {
        const [start, end, asn] = lines[i]!.split(",");
        if (!asn || asn === "0") continue;
        for (const address of [start!, end!]) {
          const intel = lookupIpIn(databases, address);
          if (intel.network === "private") continue;
          expect(intel.asn, `${address} in ${file}`).toBe(Number(asn));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(900);
  });
});

describe("hosting list", () => {
  it("reads ASNs with or without the AS prefix, skips comments, and lets a line remove one", () => {
    const set = parseAsnList("# header\nAS16509 # Amazon\n14618\n\nnot a number\nas9009\n");
    expect([...set].sort((a, b) => a - b)).toEqual([9009, 14618, 16509]);
    parseAsnList("-AS16509\n64500 # our own cloud\n", set);
    expect(set.has(16509)).toBe(false);
    expect(set.has(64500)).toBe(true);
  });
});

// ── a tiny database in MaxMind's GeoIP2 shape, written here to prove operator files work ──

type Value = string | number | { [key: string]: Value } | Value[];

function encodeHeader(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = ((extended ? 0 : type) << 5) | (size < 29 ? size : size < 285 ? 29 : 30);
  const bytes = [first];
  if (extended) bytes.push(type - 7);
  if (size >= 29 && size < 285) bytes.push(size - 29);
  else if (size >= 285) bytes.push((size - 285) >> 8, (size - 285) & 255);
  return Buffer.from(bytes);
}

function encode(value: Value): Buffer {
  if (typeof value === "string") {
    const text = Buffer.from(value, "utf8");
    return Buffer.concat([encodeHeader(2, text.length), text]);
  }
  if (typeof value === "number" && !Number.isInteger(value)) {
    const double = Buffer.alloc(8);
    double.writeDoubleBE(value);
    return Buffer.concat([encodeHeader(3, 8), double]);
  }
  if (typeof value === "number") {
    const int = Buffer.alloc(4);
    int.writeUInt32BE(value);
    return Buffer.concat([encodeHeader(6, 4), int]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([encodeHeader(11, value.length), ...value.map(encode)]);
  }
  const entries = Object.entries(value);
  return Buffer.concat([
    encodeHeader(7, entries.length),
    ...entries.flatMap(([key, item]) => [encode(key), encode(item)]),
  ]);
}

/** An IPv6 MaxMind DB (record size 32) with IPv4 networks at ::a.b.c.d, as GeoIP2 files are. */
function writeMmdb(
  file: string,
  databaseType: string,
  networks: { v4: [number, number, number, number]; bits: number; record: Value }[],
) {
  const nodes: [number, number][] = [[-1, -1]];
  const data: Buffer[] = [];
  let dataSize = 0;
  const pointers: { node: number; side: 0 | 1; dataOffset: number }[] = [];
  for (const { v4, bits, record } of networks) {
    const address = BigInt((v4[0] << 24) | (v4[1] << 16) | (v4[2] << 8) | v4[3]) & 0xffffffffn;
    let node = 0;
    const depth = 96 + bits;
    for (let i = 0; i < depth; i++) {
      const bit = i < 96 ? 0 : Number((address >> BigInt(127 - i)) & 1n);
      if (i === depth - 1) {
        pointers.push({ node, side: bit as 0 | 1, dataOffset: dataSize });
      } else {
        if (nodes[node]![bit]! < 0) nodes[node]![bit] = nodes.push([-1, -1]) - 1;
        node = nodes[node]![bit]!;
      }
    }
    const encoded = encode(record);
    data.push(encoded);
    dataSize += encoded.length;
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 8);
  nodes.forEach(([left, right], index) => {
    tree.writeUInt32BE(left < 0 ? count : left, index * 8);
    tree.writeUInt32BE(right < 0 ? count : right, index * 8 + 4);
  });
  for (const { node, side, dataOffset } of pointers) {
    tree.writeUInt32BE(count + 16 + dataOffset, node * 8 + side * 4);
  }
  const metadata = encode({
    node_count: count,
    record_size: 32,
    ip_version: 6,
    database_type: databaseType,
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: "Factor test database" },
  });
  writeFileSync(
    file,
    Buffer.concat([
      tree,
      Buffer.alloc(16),
      ...data,
      Buffer.from("abcdef4d61784d696e642e636f6d", "hex"),
      metadata,
    ]),
  );
}

describe("operator databases (GEOIP_*_PATH)", () => {
  it("reads MaxMind GeoIP2 City and ASN files in place of the bundled data", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "factor-geoip-"));
    const city = path.join(folder, "GeoLite2-City.mmdb");
    const asn = path.join(folder, "GeoLite2-ASN.mmdb");
    const hosting = path.join(folder, "hosting.txt");
    writeMmdb(city, "GeoLite2-City", [
      {
        v4: [203, 0, 113, 0],
        bits: 24,
        record: {
          city: { geoname_id: 2950159, names: { en: "Berlin", de: "Berlin" } },
          country: { iso_code: "DE", names: { en: "Germany" } },
          location: { latitude: 52.5244, longitude: 13.4105, accuracy_radius: 20 },
        },
      },
    ]);
    writeMmdb(asn, "GeoLite2-ASN", [
      {
        v4: [203, 0, 113, 0],
        bits: 25,
        record: { autonomous_system_number: 64500, autonomous_system_organization: "Example Net" },
      },
    ]);
    writeFileSync(hosting, "AS64500 # a network we treat as hosting\n");

    const sources = configuredSources({
      GEOIP_CITY_PATH: city,
      GEOIP_COUNTRY_PATH: undefined,
      GEOIP_ASN_PATH: asn,
      HOSTING_ASNS_PATH: hosting,
    });
    expect(sources.city).toEqual([city]);
    expect(sources.asn).toEqual({ mmdb: asn });
    const databases = await openIpDatabases(sources);

    expect(lookupIpIn(databases, "203.0.113.9")).toEqual({
      ip: "203.0.113.9",
      network: "public",
      countryCode: "DE",
      countryName: "Germany",
      city: "Berlin",
      latitude: 52.5244,
      longitude: 13.4105,
      asn: 64500,
      isp: "Example Net",
      hosting: true,
    });
    // Outside the ASN file's /25 but inside the city's /24.
    expect(lookupIpIn(databases, "203.0.113.200")).toMatchObject({
      city: "Berlin",
      asn: null,
      isp: null,
      hosting: false,
    });
    // Not in the operator's city file: the bundled country database still answers.
    expect(lookupIpIn(databases, "81.2.69.160")).toMatchObject({
      countryCode: "GB",
      city: null,
      latitude: null,
    });
    expect(lookupIpIn(databases, "2a00:1450:4009:80b::200e").city).toBeNull();
  });

  it("fails to open when an operator path does not exist, naming the file", async () => {
    const sources = configuredSources({
      GEOIP_CITY_PATH: "/nonexistent/GeoLite2-City.mmdb",
      GEOIP_COUNTRY_PATH: undefined,
      GEOIP_ASN_PATH: undefined,
      HOSTING_ASNS_PATH: undefined,
    });
    await expect(openIpDatabases(sources)).rejects.toThrow(/GeoLite2-City\.mmdb/);
  });
});
