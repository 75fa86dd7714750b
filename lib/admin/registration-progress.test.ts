import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "@/lib/auth/users";
import { mfaMethods, users } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { getRegistrationProgress, progressDays, PROGRESS_DAYS } from "./registration-progress";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let counter = 0;
const NOW = new Date("2027-01-31T15:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

/** A person with methods created at the given times (pending ones do not count). */
async function person(
  role: Role,
  methods: { at: string; status?: "active" | "pending" }[] = [],
  status: "active" | "disabled" = "active",
) {
  counter += 1;
  const { id } = await createTestUser(database.db, {
    email: `progress${counter}@example.edu`,
    displayName: `Progress ${counter}`,
    role,
  });
  if (status !== "active") await database.db.update(users).set({ status }).where(eq(users.id, id));
  for (const method of methods) {
    await database.db.insert(mfaMethods).values({
      userId: id,
      kind: "authenticator_app",
      label: "Phone",
      status: method.status ?? "active",
      createdAt: new Date(method.at),
    });
  }
  return id;
}

describe("registration progress", () => {
  it("lists the last 90 days up to today, in UTC", () => {
    const days = progressDays(NOW);
    expect(days).toHaveLength(PROGRESS_DAYS);
    expect(days[0]).toBe("2026-11-03");
    expect(days.at(-1)).toBe("2027-01-31");
  });

  it("counts active people with a method, by role, from the day of their oldest method", async () => {
    await person("user", [{ at: "2026-06-01T10:00:00Z" }]); // before the chart's days
    await person("user", [{ at: "2027-01-10T23:30:00Z" }, { at: "2027-01-20T08:00:00Z" }]);
    await person("user", [{ at: "2027-01-30T00:10:00Z" }]);
    await person("user", [{ at: "2027-01-15T10:00:00Z", status: "pending" }]); // not registered
    await person("user"); // none
    await person("user", [{ at: "2027-01-05T10:00:00Z" }], "disabled"); // not counted at all
    await person("helpdesk", [{ at: "2026-12-01T09:00:00Z" }]);
    await person("admin");

    const progress = await getRegistrationProgress(database.db, NOW);
    expect(progress.today).toEqual([
      { role: "user", people: 5, registered: 3 },
      { role: "helpdesk", people: 1, registered: 1 },
      { role: "admin", people: 1, registered: 0 },
    ]);
    const at = (role: Role, day: string) =>
      progress.series.find((s) => s.role === role)!.registered[progress.days.indexOf(day)];
    expect(at("user", "2026-11-03")).toBe(1);
    expect(at("user", "2027-01-09")).toBe(1);
    expect(at("user", "2027-01-10")).toBe(2); // its oldest method, not the newer one
    expect(at("user", "2027-01-29")).toBe(2);
    expect(at("user", "2027-01-31")).toBe(3);
    expect(at("helpdesk", "2026-11-30")).toBe(0);
    expect(at("helpdesk", "2026-12-01")).toBe(1);
    expect(progress.series.find((s) => s.role === "admin")!.registered.every((n) => n === 0)).toBe(
      true,
    );
  });
});
