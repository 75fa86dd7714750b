import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

// Makes the favicon and app icons in public/ from public/icon.svg: run it after changing the
// SVG (`npx tsx scripts/make-icons.ts`) and commit what it writes. sharp comes with Next.

const publicDir = path.resolve(import.meta.dirname, "..", "public");
const svg = readFileSync(path.join(publicDir, "icon.svg"), "utf8");
// iOS rounds the corners itself and shows black through transparent ones: fill the square.
const squareSvg = svg.replace(/ rx="[^"]*"/, "");

function png(source: string, size: number): Promise<Buffer> {
  return sharp(Buffer.from(source), { density: 72 * (size / 32) })
    .resize(size, size)
    .png()
    .toBuffer();
}

/** An ICO file holding PNG images, which every current browser reads. */
function ico(images: { size: number; data: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length + 16 * images.length;
  const entries = images.map(({ size, data }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size % 256, 0);
    entry.writeUInt8(size % 256, 1);
    entry.writeUInt16LE(1, 4);
    entry.writeUInt16LE(32, 6);
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((image) => image.data)]);
}

const faviconSizes = [16, 32, 48];
const favicon = await Promise.all(
  faviconSizes.map(async (size) => ({ size, data: await png(svg, size) })),
);
writeFileSync(path.join(publicDir, "favicon.ico"), ico(favicon));
writeFileSync(path.join(publicDir, "apple-touch-icon.png"), await png(squareSvg, 180));
for (const size of [192, 512]) {
  writeFileSync(path.join(publicDir, `icon-${size}.png`), await png(svg, size));
}
console.log(
  `Wrote favicon.ico, apple-touch-icon.png, icon-192.png and icon-512.png in ${publicDir}.`,
);
