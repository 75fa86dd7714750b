import { and, eq, sql } from "drizzle-orm";
import { emailMatches } from "@/lib/auth/users";
import { alternateEmails, phoneNumberHistory, settings, users } from "@/lib/db/schema";
import { openConfiguredDatabase } from "../../scripts/open-configured-database";

// Test setup for e2e/account-recovery.spec.ts, run before its server opens the data folder: gives
// each named person an alternate email verified 8 days ago and, when named, a former phone that
// served from 30 days ago until they deleted it, keeping the number, 10 days ago (a week cannot
// pass in a browser test), and sets the recovery waiting period. Reads JSON
// { waitMinutes, people: [{ email, alternate, formerPhone? }] } on stdin.

const input = JSON.parse(await new Response(process.stdin as never).text()) as {
  waitMinutes: number;
  people: { email: string; alternate: string; formerPhone?: string }[];
};
const database = await openConfiguredDatabase();
const { db } = database;
for (const person of input.people) {
  const [user] = await db.select({ id: users.id }).from(users).where(emailMatches(person.email));
  if (!user) throw new Error(`no account ${person.email}`);
  await db.delete(alternateEmails).where(and(eq(alternateEmails.userId, user.id)));
  await db.insert(alternateEmails).values({
    userId: user.id,
    email: person.alternate,
    status: "active",
    verifiedAt: sql`now() - interval '8 days'`,
  });
  if (person.formerPhone) {
    await db.insert(phoneNumberHistory).values({
      userId: user.id,
      e164: person.formerPhone,
      methodId: crypto.randomUUID(),
      verifiedAt: sql`now() - interval '30 days'`,
      retiredAt: sql`now() - interval '10 days'`,
      keptAt: sql`now() - interval '10 days'`,
    });
  }
}
await db
  .insert(settings)
  .values({ key: "account_recovery_wait_minutes", value: input.waitMinutes })
  .onConflictDoUpdate({ target: settings.key, set: { value: input.waitMinutes } });
await database.close();
