import { and, eq, gt, inArray, isNotNull, lte, max, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { knownNetworks, signInEvents } from "@/lib/db/schema";
import type { IpIntel } from "./ip-intel";

// Sign-in risk (R-A14.6, R-A1.8): a few explainable rules, each with a sentence the person reads.
// Risk may add friction and a notice; it never removes a factor. Thresholds and their reasons are
// in docs/decisions/0005-ip-intelligence-and-risk.md.

export const RISK_REASONS = [
  "hosting_network",
  "new_country",
  "impossible_travel",
  "password_spray",
  "unknown_address",
] as const;
export type RiskReason = (typeof RISK_REASONS)[number];

/** What the person is told about each reason, in plain language. */
export const RISK_REASON_TEXT: Record<RiskReason, string> = {
  hosting_network:
    "The sign-in came from a hosting or VPN network, which people rarely sign in from directly.",
  new_country: "The sign-in came from a country you have not signed in from in the last 90 days.",
  impossible_travel:
    "The sign-in came from a place too far from your previous sign-in to travel between in the time.",
  password_spray:
    "Many accounts failed to sign in from the same address shortly before, as in a password-guessing attack.",
  unknown_address: "We could not tell where the sign-in came from.",
};

export type RiskLevel = "none" | "low" | "medium" | "high";
export type RiskAssessment = { level: RiskLevel; reasons: RiskReason[] };

export const RISK_THRESHOLDS = {
  /** Faster than an airliner between two sign-ins is impossible travel. */
  maxTravelKmh: 1000,
  /** Shorter hops are within the error of IP geolocation. */
  minTravelKm: 100,
  /** Countries and the previous location come from the successful sign-ins of this many days. */
  historyDays: 90,
  /** Failures from one address are counted over this window… */
  sprayWindowMinutes: 60,
  /** …and this many distinct accounts failing from it is a password spray. */
  sprayAccounts: 10,
} as const;

const HIGH: ReadonlySet<RiskReason> = new Set([
  "impossible_travel",
  "password_spray",
  "unknown_address",
]);

export type RiskHistory = {
  /** The person's successful sign-ins of the last 90 days, newest first. */
  recentSuccesses: {
    at: Date;
    countryCode: string | null;
    latitude: number | null;
    longitude: number | null;
  }[];
  /** Networks the person marked as theirs ("This was me" on a hosting or VPN sign-in). */
  knownAsns: number[];
  /** Failures from the attempt's address in the spray window. */
  failuresFromAddress: { accounts: number; attempts: number };
};

/** Sign-in events that are a wrong password (or an account that does not exist). */
const PASSWORD_FAILURE_REASONS = ["wrong_password", "unknown_account", "account_disabled"] as const;

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in kilometres. */
export function haversineKm(a: [number, number], b: [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Pure: the risk of one sign-in attempt given the person's history. */
export function evaluateRisk(
  attempt: { at: Date; intel: IpIntel },
  history: RiskHistory,
): RiskAssessment {
  const { intel } = attempt;
  const reasons: RiskReason[] = [];
  const knownNetwork = intel.asn !== null && history.knownAsns.includes(intel.asn);

  // An address that cannot be read is never trusted (R-A14.5).
  if (intel.network === "unknown" || intel.ip === null) reasons.push("unknown_address");

  if (intel.hosting && !knownNetwork) reasons.push("hosting_network");

  // A first sign-in has nothing to compare with: "new" needs a history to be new against.
  const countries = new Set(history.recentSuccesses.map((s) => s.countryCode).filter(Boolean));
  if (intel.countryCode && countries.size > 0 && !countries.has(intel.countryCode)) {
    reasons.push("new_country");
  }

  const previous = history.recentSuccesses.find((s) => s.latitude !== null && s.longitude !== null);
  if (
    previous &&
    intel.latitude !== null &&
    intel.longitude !== null &&
    // A network the person vouched for (their VPN) moves them anywhere in an instant.
    !knownNetwork &&
    // Within one country, IP geolocation is too coarse (mobile carriers' gateways) to judge.
    !(previous.countryCode && previous.countryCode === intel.countryCode)
  ) {
    const km = haversineKm(
      [previous.latitude!, previous.longitude!],
      [intel.latitude, intel.longitude],
    );
    const hours = (attempt.at.getTime() - previous.at.getTime()) / 3_600_000;
    if (
      km >= RISK_THRESHOLDS.minTravelKm &&
      (hours <= 0 || km / hours > RISK_THRESHOLDS.maxTravelKmh)
    ) {
      reasons.push("impossible_travel");
    }
  }

  // Only public addresses: inside the organisation's network many people share one address
  // (NAT, proxies), and the per-address failure throttle already slows a spray there.
  if (
    intel.network === "public" &&
    history.failuresFromAddress.accounts >= RISK_THRESHOLDS.sprayAccounts
  )
    reasons.push("password_spray");

  const ordered = RISK_REASONS.filter((reason) => reasons.includes(reason));
  const level: RiskLevel = ordered.some((reason) => HIGH.has(reason))
    ? "high"
    : ordered.length > 0
      ? "medium"
      : // A hosting network the person marked as theirs is still a little less usual than home.
        intel.hosting && knownNetwork
        ? "low"
        : "none";
  return { level, reasons: ordered };
}

/** Reads the person's history (sign_in_events, known_networks) and evaluates the attempt. */
export async function assessSignInRisk(
  db: Executor,
  input: { userId: string; at: Date; intel: IpIntel },
): Promise<RiskAssessment> {
  const since = new Date(input.at.getTime() - RISK_THRESHOLDS.historyDays * 86_400_000);
  const mine = and(
    eq(signInEvents.userId, input.userId),
    eq(signInEvents.result, "success"),
    gt(signInEvents.at, since),
    lte(signInEvents.at, input.at),
  );
  // Both read the (user_id, at desc, id desc) index: the countries seen, and the newest place.
  const [countries, latestPlaced, known, failures] = await Promise.all([
    db
      .select({ countryCode: signInEvents.countryCode, at: max(signInEvents.at) })
      .from(signInEvents)
      .where(mine)
      .groupBy(signInEvents.countryCode),
    db
      .select({
        at: signInEvents.at,
        countryCode: signInEvents.countryCode,
        latitude: signInEvents.latitude,
        longitude: signInEvents.longitude,
      })
      .from(signInEvents)
      .where(and(mine, isNotNull(signInEvents.latitude), isNotNull(signInEvents.longitude)))
      // "nulls last" as the index is built: a plain desc() cannot use it, and the planner then
      // walks the whole (at) index backwards for a person with many sign-ins (97 ms at 1M rows).
      .orderBy(sql`${signInEvents.at} desc nulls last`, sql`${signInEvents.id} desc nulls last`)
      .limit(1),
    db
      .select({ asn: knownNetworks.asn })
      .from(knownNetworks)
      .where(eq(knownNetworks.userId, input.userId)),
    input.intel.ip === null
      ? Promise.resolve([{ accounts: 0, attempts: 0 }])
      : // The (ip, at) index. Failures for no account are counted one account each: the email
        // tried is not kept, and a spray through unknown names is still a spray.
        db
          .select({
            accounts: sql<number>`(count(distinct ${signInEvents.userId}) + count(*) filter (where ${signInEvents.userId} is null))::int`,
            attempts: sql<number>`count(*)::int`,
          })
          .from(signInEvents)
          .where(
            and(
              eq(signInEvents.ip, input.intel.ip),
              gt(
                signInEvents.at,
                new Date(input.at.getTime() - RISK_THRESHOLDS.sprayWindowMinutes * 60_000),
              ),
              lte(signInEvents.at, input.at),
              eq(signInEvents.result, "failure"),
              // Wrong passwords only: a wrong code comes after a right password.
              inArray(signInEvents.reason, [...PASSWORD_FAILURE_REASONS]),
            ),
          ),
  ]);

  const recentSuccesses: RiskHistory["recentSuccesses"] = [
    ...latestPlaced,
    ...countries.map((row) => ({
      at: row.at ?? since,
      countryCode: row.countryCode,
      latitude: null,
      longitude: null,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());

  return evaluateRisk(
    { at: input.at, intel: input.intel },
    {
      recentSuccesses,
      knownAsns: known.map((row) => row.asn),
      failuresFromAddress: failures[0] ?? { accounts: 0, attempts: 0 },
    },
  );
}

/** Records a network as the person's own; later sign-ins from it are not flagged as hosting. */
export async function markNetworkKnown(db: Executor, userId: string, asn: number): Promise<void> {
  await db.insert(knownNetworks).values({ userId, asn }).onConflictDoNothing();
}
