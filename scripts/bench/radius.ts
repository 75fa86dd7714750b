import { spawnSync } from "node:child_process";
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createSocket } from "node:dgram";
import type { CodeBook } from "./client";
import { measureLoop, type Measurement } from "./measure";
import type { BenchAccount, BenchState } from "./seed";

// What a VPN costs Factor for each person who connects: one RADIUS Access-Request carrying
// "password,code" (for clients that cannot show a challenge) → Access-Accept. The packets are
// laid out here with node:crypto (RFC 2865 §3, §5.2; RFC 3579 §3.2), not by spawning radclient
// per request, which would measure radclient's start-up instead of Factor, nor with the `radius`
// library, which stays wrapped in lib/radius/packet.ts — and a client written apart from the
// server's packet code checks it rather than agreeing with it.

const ACCESS_REQUEST = 1;
const REPLY_CODES: Record<number, string> = {
  2: "Access-Accept",
  3: "Access-Reject",
  11: "Access-Challenge",
};
const USER_NAME = 1;
const USER_PASSWORD = 2;
const NAS_IDENTIFIER = 32;
const MESSAGE_AUTHENTICATOR = 80;
const REPLY_TIMEOUT_MS = 10_000;

/** Adds the bench's RADIUS client before its server opens the database; returns its secret. */
export function registerBenchRadiusClient(state: BenchState): string {
  const result = spawnSync("npx", ["tsx", "scripts/bench/add-radius-client.ts"], {
    env: {
      ...process.env,
      DATA_DIR: state.dataDir,
      DATABASE_URL: state.databaseUrl ?? "",
      AUTH_SECRET: state.authSecret,
      SEALING_KEYS: state.sealingKeys,
    },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`could not add the RADIUS client:\n${result.stderr}`);
  return (JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { secret: string }).secret;
}

function attribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** User-Password hidden with the secret and the Request Authenticator (RFC 2865 §5.2). */
function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const plain = Buffer.from(password, "utf8");
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  let previous = authenticator;
  for (let offset = 0; offset < padded.length; offset += 16) {
    const pad = createHash("md5").update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) padded[offset + i]! ^= pad[i]!;
    previous = padded.subarray(offset, offset + 16);
  }
  return padded;
}

/** An Access-Request with the Message-Authenticator first, as Blast-RADIUS advice has it. */
function accessRequest(
  identifier: number,
  secret: string,
  userName: string,
  password: string,
): { packet: Buffer; authenticator: Buffer } {
  const authenticator = randomBytes(16);
  const attributes = Buffer.concat([
    attribute(MESSAGE_AUTHENTICATOR, Buffer.alloc(16)),
    attribute(USER_NAME, Buffer.from(userName, "utf8")),
    attribute(USER_PASSWORD, hidePassword(password, secret, authenticator)),
    attribute(NAS_IDENTIFIER, Buffer.from("factor-bench")),
  ]);
  const header = Buffer.alloc(4);
  header.writeUInt8(ACCESS_REQUEST, 0);
  header.writeUInt8(identifier, 1);
  header.writeUInt16BE(20 + attributes.length, 2);
  const packet = Buffer.concat([header, authenticator, attributes]);
  createHmac("md5", secret)
    .update(packet)
    .digest()
    .copy(packet, 20 + 2);
  return { packet, authenticator };
}

/** The reply's code, once its Response Authenticator proves it came from Factor. */
function replyCode(reply: Buffer, secret: string, requestAuthenticator: Buffer): string {
  const check = Buffer.from(reply);
  requestAuthenticator.copy(check, 4);
  const expected = createHash("md5").update(check).update(secret).digest();
  if (reply.length < 20 || !timingSafeEqual(reply.subarray(4, 20), expected))
    throw new Error("a reply with a wrong Response Authenticator");
  return REPLY_CODES[reply[0]!] ?? `code ${reply[0]}`;
}

/** One UDP socket, up to 256 requests in flight told apart by their identifier. */
function radiusClient(port: number, secret: string) {
  const socket = createSocket("udp4");
  const waiting = new Map<
    number,
    { authenticator: Buffer; resolve: (code: string) => void; reject: (error: Error) => void }
  >();
  let nextIdentifier = 0;
  socket.on("message", (reply) => {
    const pending = waiting.get(reply[1]!);
    if (!pending) return;
    waiting.delete(reply[1]!);
    try {
      pending.resolve(replyCode(reply, secret, pending.authenticator));
    } catch (error) {
      pending.reject(error as Error);
    }
  });
  return {
    ask(userName: string, password: string): Promise<string> {
      let identifier = nextIdentifier;
      while (waiting.has(identifier)) identifier = (identifier + 1) % 256;
      nextIdentifier = (identifier + 1) % 256;
      const { packet, authenticator } = accessRequest(identifier, secret, userName, password);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(identifier);
          reject(new Error("no answer"));
        }, REPLY_TIMEOUT_MS);
        waiting.set(identifier, {
          authenticator,
          resolve: (code) => (clearTimeout(timer), resolve(code)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        socket.send(packet, port, "127.0.0.1");
      });
    },
    close: () => socket.close(),
  };
}

/**
 * Access-Requests with "password,code" by LOAD.connections VPN users at once, each from the next
 * signer with a code that account has not used (each time-step is accepted once per device);
 * Accepts per second and the server's CPU per Accept.
 */
export async function measureRadius(
  port: number,
  secret: string,
  state: BenchState,
  codes: CodeBook,
  pids: number[],
  log: (line: string) => void,
): Promise<Measurement> {
  const client = radiusClient(port, secret);
  let next = 0;
  const nextSigner = (): { account: BenchAccount; code: string } => {
    for (let tries = 0; tries < state.signers.length; tries++) {
      const account = state.signers[next++ % state.signers.length]!;
      const code = codes.next(account);
      if (code) return { account, code };
    }
    throw new Error("every signer has used its codes for now");
  };
  try {
    const { account, code } = nextSigner();
    const first = await client.ask(account.email, `${state.password},${code}`);
    if (first !== "Access-Accept") throw new Error(`RADIUS answered ${first}, not Access-Accept`);
    return await measureLoop(
      "RADIUS Access-Request → Accept (password,code)",
      async () => {
        const signer = nextSigner();
        return client.ask(signer.account.email, `${state.password},${signer.code}`);
      },
      { succeeded: "Access-Accept", pids, log },
    );
  } finally {
    client.close();
  }
}
