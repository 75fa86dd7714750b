import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import type DecoderClass from "mmdb-lib/lib/decoder";
import type { parseMetadata as ParseMetadata } from "mmdb-lib/lib/metadata";

// A MaxMind DB reader that keeps the search tree on disk and only the data section in memory.
// maxmind's own reader loads the whole file: the bundled city data is 134 MB, 103 MB of it the
// tree. Sign-ins look an address up once each, so walking the tree with one positional read per
// level (at most 32 for IPv4, 128 for IPv6, served from the page cache) costs microseconds and
// keeps the server's resident memory within its budget (issue #7). Decoding stays mmdb-lib's.

/** An address as the tree walks it: 4 or 16 bytes, most significant first. */
export type AddressBytes = Uint8Array;

export type DiskMmdb = {
  readonly metadata: { readonly ipVersion: number; readonly databaseType: string };
  /** Bytes of the file held in memory (the data section and the metadata). */
  readonly residentBytes: number;
  get(address: AddressBytes): unknown;
  close(): void;
};

// mmdb-lib's decoder is not in its public entry point; required directly so Node's ESM loader and
// the bundler agree on its CommonJS default export.
const require = createRequire(import.meta.url);
const { default: Decoder } = require("mmdb-lib/lib/decoder") as { default: typeof DecoderClass };
const { parseMetadata } = require("mmdb-lib/lib/metadata") as {
  parseMetadata: typeof ParseMetadata;
};

const DATA_SECTION_SEPARATOR = 16;
// The spec keeps the metadata within the file's last 128 KiB.
const METADATA_MAX = 128 * 1024;
const METADATA_MARKER = Buffer.from("abcdef4d61784d696e642e636f6d", "hex");

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const got = readSync(fd, buffer, read, length - read, position + read);
    if (got === 0) throw new Error("unexpected end of the database file");
    read += got;
  }
  return buffer;
}

export function openDiskMmdb(file: string): DiskMmdb {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const tailStart = Math.max(0, size - METADATA_MAX);
    const tail = readAt(fd, tailStart, size - tailStart);
    const markerAt = tail.lastIndexOf(METADATA_MARKER);
    if (markerAt < 0) throw new Error(`${file} is not a MaxMind DB file (no metadata)`);
    const metadata = parseMetadata(tail);
    const { nodeCount, nodeByteSize, recordSize, searchTreeSize } = metadata;
    const dataStart = searchTreeSize + DATA_SECTION_SEPARATOR;
    const dataEnd = tailStart + markerAt;
    if (dataEnd < dataStart) throw new Error(`${file} is truncated`);
    const data = readAt(fd, dataStart, dataEnd - dataStart);
    // Pointers inside the data section are relative to its start, so base offset 0.
    const decoder = new Decoder(data, 0);
    const node = Buffer.allocUnsafe(nodeByteSize);

    /** The left (0) or right (1) record of a node. */
    const record = (nodeNumber: number, bit: number): number => {
      readSync(fd, node, 0, nodeByteSize, nodeNumber * nodeByteSize);
      if (recordSize === 24) return node.readUIntBE(bit * 3, 3);
      if (recordSize === 32) return node.readUInt32BE(bit * 4);
      // 28 bits: the middle byte's nibbles are the records' top bits.
      return bit === 0
        ? ((node[3]! & 0xf0) << 20) | node.readUIntBE(0, 3)
        : ((node[3]! & 0x0f) << 24) | node.readUIntBE(4, 3);
    };

    // In an IPv6 tree, IPv4 addresses live under ::/96.
    let ipv4Start = 0;
    if (metadata.ipVersion === 6) {
      for (let depth = 0; depth < 96 && ipv4Start < nodeCount; depth++) {
        ipv4Start = record(ipv4Start, 0);
      }
    }

    return {
      metadata,
      residentBytes: data.length + tail.length,
      get(address) {
        if (address.length === 16 && metadata.ipVersion === 4) return null;
        let nodeNumber = address.length === 4 ? ipv4Start : 0;
        const bits = address.length * 8;
        for (let depth = 0; depth < bits && nodeNumber < nodeCount; depth++) {
          const bit = (address[depth >> 3]! >> (7 - (depth & 7))) & 1;
          nodeNumber = record(nodeNumber, bit);
        }
        // nodeCount itself means "no data"; beyond it, a pointer into the data section.
        if (nodeNumber <= nodeCount) return null;
        return decoder.decodeFast(nodeNumber - nodeCount - DATA_SECTION_SEPARATOR).value as unknown;
      },
      close() {
        closeSync(fd);
      },
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
