import { and, eq, sql } from "drizzle-orm";
import { ROLES, type Role } from "@/lib/auth/users";
import { clock } from "@/lib/clock";
import type { Executor } from "@/lib/db/client";
import { mfaMethods, users } from "@/lib/db/schema";

// How far the rollout of MFA has got, for the console's overview (docs/decisions/0022): people
// with at least one registered sign-in method, by role, today and day by day. The history is
// read from the methods people have now — each person counts from the day of their oldest
// method — so someone who removed every method no longer counts on any day. Only active
// accounts count.

/** The days the overview's chart covers, today included. */
export const PROGRESS_DAYS = 90;

const DAY_MS = 24 * 60 * 60 * 1000;

export type RoleProgress = { role: Role; people: number; registered: number };

export type RegistrationProgress = {
  /** Each role's active people and how many of them have a method now. */
  today: RoleProgress[];
  /** The chart's days (UTC, YYYY-MM-DD), oldest first, the last one today. */
  days: string[];
  /** Per role, people with a method at the end of each of `days`. */
  series: { role: Role; registered: number[] }[];
};

/** The last `count` days up to `now`'s, in UTC, oldest first. */
export function progressDays(now: Date, count = PROGRESS_DAYS): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(today - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

/** People with a registered method, by role: now, and at the end of each of the last 90 days. */
export async function getRegistrationProgress(
  db: Executor,
  now: Date = clock.now(),
): Promise<RegistrationProgress> {
  const firstMethods = db
    .select({
      userId: mfaMethods.userId,
      day: sql<string>`to_char(min(${mfaMethods.createdAt}) at time zone 'UTC', 'YYYY-MM-DD')`.as(
        "day",
      ),
    })
    .from(mfaMethods)
    .where(eq(mfaMethods.status, "active"))
    .groupBy(mfaMethods.userId)
    .as("first_methods");
  const [people, registrations] = await Promise.all([
    db
      .select({ role: users.role, people: sql<number>`count(*)::int` })
      .from(users)
      .where(eq(users.status, "active"))
      .groupBy(users.role),
    db
      .select({ role: users.role, day: firstMethods.day, people: sql<number>`count(*)::int` })
      .from(firstMethods)
      .innerJoin(users, and(eq(users.id, firstMethods.userId), eq(users.status, "active")))
      .groupBy(users.role, firstMethods.day),
  ]);
  const days = progressDays(now);
  const series = ROLES.map((role) => {
    const mine = registrations.filter((r) => r.role === role);
    return {
      role,
      // Days are YYYY-MM-DD, so comparing the strings compares the dates.
      registered: days.map((day) =>
        mine.filter((r) => r.day <= day).reduce((sum, r) => sum + r.people, 0),
      ),
    };
  });
  const today = ROLES.map((role) => ({
    role,
    people: people.find((p) => p.role === role)?.people ?? 0,
    registered: registrations.filter((r) => r.role === role).reduce((sum, r) => sum + r.people, 0),
  }));
  return { today, days, series };
}
