import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIP } from "node:net";
import type { Db } from "@/lib/db/client";
import type { RequestContext } from "@/lib/types/request";
import { findClientByAddress, plainAddress } from "./clients";
import { answerAccessRequest, RADIUS_MESSAGES, type RadiusDecision } from "./conversation";
import { countDrop } from "./drops";
import {
  checkMessageAuthenticator,
  encodeReply,
  parsePacket,
  revealUserPassword,
  stateOf,
  textAttribute,
  type RadiusRequest,
} from "./packet";

// The UDP listener (RFC 2865): who may ask, whether the packet is theirs, and retransmissions.
// What the answer is, is conversation.ts's.

/** How long an answer is kept for a retransmission of its request (RFC 5080 §2.2.2). */
const REPLY_CACHE_MS = 30_000;

export type RadiusServerOptions = {
  port: number;
  host: string;
  /** How long a push or a call holds a request (RADIUS_PUSH_TIMEOUT_SECONDS). */
  waitSeconds: number;
  pollMs?: number;
};

export type RadiusServer = { port: number; close: () => Promise<void> };

/**
 * Where the person is, as the client reports it (R-A14.1): the Calling-Station-Id when it is an
 * address (a VPN's view of the person), else the Framed-IP-Address, else the client itself.
 */
function reportedContext(request: RadiusRequest, source: string): RequestContext {
  const candidates = [
    textAttribute(request, "Calling-Station-Id"),
    textAttribute(request, "Framed-IP-Address"),
  ];
  const reported = candidates.map((v) => (v ? plainAddress(v.trim()) : "")).find((v) => isIP(v));
  return { ip: reported ?? plainAddress(source), userAgent: null };
}

/** Starts answering Access-Requests on `port`; resolves once listening. */
export async function startRadiusServer(
  db: Db,
  options: RadiusServerOptions,
): Promise<RadiusServer> {
  const socket: Socket = createSocket(options.host.includes(":") ? "udp6" : "udp4");
  // One entry per request being answered or recently answered: a retransmission (same source,
  // identifier and authenticator) waits for, or gets again, the one answer (R-A20.3).
  const answers = new Map<string, Promise<Buffer | null>>();
  const timers = new Set<NodeJS.Timeout>();

  async function answer(request: RadiusRequest, remote: RemoteInfo): Promise<Buffer | null> {
    const client = await findClientByAddress(db, remote.address);
    if (!client) {
      countDrop("unknown_source");
      return null;
    }
    const authenticator = checkMessageAuthenticator(request, client.secret);
    if (
      authenticator === "invalid" ||
      (authenticator === "missing" && client.requireMessageAuthenticator)
    ) {
      countDrop("bad_authenticator");
      return null;
    }
    let decision: RadiusDecision;
    try {
      decision = await answerAccessRequest(
        db,
        client,
        {
          userName: textAttribute(request, "User-Name"),
          password: revealUserPassword(request, client.secret),
          state: stateOf(request),
          context: reportedContext(request, remote.address),
        },
        { waitSeconds: options.waitSeconds, pollMs: options.pollMs },
      );
    } catch (error) {
      // Fails closed (R-A17.6): the person is refused, and told it was not their doing.
      console.error("RADIUS request failed:", error);
      decision = { code: "Access-Reject", message: RADIUS_MESSAGES.unavailable };
    }
    const { code, ...content } = decision;
    return encodeReply(request, code, content, client.secret);
  }

  socket.on("message", (packet, remote) => {
    const request = parsePacket(packet);
    if (!request || request.code !== "Access-Request") {
      countDrop("malformed");
      return;
    }
    const key = [
      remote.address,
      remote.port,
      request.identifier,
      request.authenticator.toString("hex"),
    ].join("|");
    let pending = answers.get(key);
    if (!pending) {
      pending = answer(request, remote).catch((error: unknown) => {
        console.error("RADIUS request failed:", error);
        return null;
      });
      answers.set(key, pending);
      const timer = setTimeout(() => {
        timers.delete(timer);
        answers.delete(key);
      }, REPLY_CACHE_MS);
      timer.unref();
      timers.add(timer);
    }
    void pending.then((reply) => {
      if (reply) socket.send(reply, remote.port, remote.address);
    });
  });

  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port, options.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", (error) => console.error("RADIUS socket error:", error));

  return {
    port: socket.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        socket.close(() => resolve());
      }),
  };
}
