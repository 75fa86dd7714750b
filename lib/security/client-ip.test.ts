import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { compileTrustedProxies, deriveClientIp } from "./client-ip";

let server: Server | undefined;
afterEach(() => server?.close());

/** Serves one request on loopback and returns the address deriveClientIp saw. */
async function clientIpFor(
  trustedProxies: string,
  headers: Record<string, string>,
): Promise<string | null> {
  const trust = compileTrustedProxies(trustedProxies);
  server = createServer((req, res) => res.end(JSON.stringify(deriveClientIp(req, trust))));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve(JSON.parse(body)));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("client address (R-A14.5)", () => {
  it("ignores a spoofed X-Forwarded-For from an untrusted peer", async () => {
    expect(await clientIpFor("", { "X-Forwarded-For": "81.2.69.160" })).toBe("127.0.0.1");
  });

  it("takes the right-most untrusted hop behind a trusted proxy", async () => {
    const ip = await clientIpFor("127.0.0.1/8, 10.0.0.0/8", {
      "X-Forwarded-For": "1.1.1.1, 81.2.69.160, 10.1.2.3",
    });
    expect(ip).toBe("81.2.69.160");
  });

  it("treats an unparsable forwarded address as unknown, never trusted", async () => {
    expect(await clientIpFor("127.0.0.1", { "X-Forwarded-For": "not-an-ip" })).toBeNull();
  });

  it("uses the peer when a trusted proxy forwards nothing", async () => {
    expect(await clientIpFor("127.0.0.1", {})).toBe("127.0.0.1");
  });
});
