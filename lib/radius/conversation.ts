import type { Db } from "@/lib/db/client";
import {
  SERVICE_MESSAGES,
  signInToService,
  type ServiceDecision,
  type ServiceInfo,
  type ServiceWaitOptions,
} from "@/lib/services/service-sign-in";
import type { RequestContext } from "@/lib/types/request";
import { serviceClientId, serviceName, type ActiveRadiusClient } from "./clients";

// One RADIUS Access-Request, answered (RFC 2865, PAP): an adapter between the protocol and the
// services' sign-in (lib/services/service-sign-in.ts), which holds every rule. What is RADIUS's
// own is here: the User-Password that carries either the password, "password,code" or — with a
// State — the code, and the Access-* codes with their Reply-Message (docs/decisions/0019).

/** What the VPN is told: a code and a Reply-Message people can act on. */
export type RadiusDecision =
  | { code: "Access-Accept"; message?: string }
  | { code: "Access-Reject"; message: string }
  | { code: "Access-Challenge"; message: string; state: string };

export type RadiusAttempt = {
  userName: string | null;
  /** User-Password revealed with the shared secret; null when the request had none. */
  password: string | null;
  /** The State of an Access-Challenge this request answers. */
  state: string | null;
  /** Where the person is, as the client reports it, else the client's own address. */
  context: RequestContext;
};

export type ConversationOptions = ServiceWaitOptions;

/** The Reply-Messages: the services' messages, which docs/radius.md quotes. */
export const RADIUS_MESSAGES = SERVICE_MESSAGES;

/**
 * "password,code" in one User-Password, for clients that cannot show a challenge: the code is
 * the six digits after the last comma. (A password that itself ends so is read the same way.)
 */
export function splitPasswordAndCode(input: string): { password: string; code: string | null } {
  const match = /^([\s\S]*),(\d{6})$/.exec(input);
  return match ? { password: match[1]!, code: match[2]! } : { password: input, code: null };
}

/** A RADIUS client as a service: every client asks for the password. */
export function radiusService(client: ActiveRadiusClient): ServiceInfo {
  return {
    id: client.id,
    protocol: "radius",
    name: serviceName(client),
    clientId: serviceClientId(client),
    allowedRoles: client.allowedRoles,
    passwordRequired: true,
  };
}

function toRadius(decision: ServiceDecision): RadiusDecision {
  switch (decision.result) {
    case "accept":
      return { code: "Access-Accept" };
    case "reject":
      return { code: "Access-Reject", message: decision.message };
    case "challenge":
      return { code: "Access-Challenge", message: decision.message, state: decision.state };
  }
}

/** Answers one Access-Request from `client`. */
export async function answerAccessRequest(
  db: Db,
  client: ActiveRadiusClient,
  attempt: RadiusAttempt,
  options: ConversationOptions,
): Promise<RadiusDecision> {
  if (!attempt.userName || attempt.password === null) {
    return { code: "Access-Reject", message: RADIUS_MESSAGES.refused };
  }
  // With a State, User-Password carries the code that answers the challenge.
  const typed =
    attempt.state !== null
      ? { password: null, code: attempt.password }
      : splitPasswordAndCode(attempt.password);
  const decision = await signInToService(
    db,
    radiusService(client),
    { userName: attempt.userName, ...typed, state: attempt.state, context: attempt.context },
    options,
  );
  return toRadius(decision);
}
