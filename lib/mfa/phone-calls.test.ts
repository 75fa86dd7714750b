import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as gatherCallback } from "@/app/api/phone/calls/[challengeId]/gather/route";
import { mfaMethods, outbox, phoneChallenges } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { queueMessage } from "@/lib/notify/outbox";
import { isOutboxProviderActive, outboxChannels } from "@/lib/notify/providers";
import { answerOutboxCall, listOutboxEntries } from "./phone-calls";
import { createTestUser } from "@/lib/testing/users";

// With no provider configured (the default), every channel stays in the outbox.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let userId: string;
let methodId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (
    await createTestUser(database.db, {
      email: "dev@example.edu",
      displayName: "Dev",
      role: "user",
    })
  ).id;
  const [method] = await database.db
    .insert(mfaMethods)
    .values({ userId, kind: "phone", label: "+447700900123", status: "active" })
    .returning({ id: mfaMethods.id });
  methodId = method!.id;
});
afterAll(async () => {
  await database.dispose();
});

async function call(expiresInMs = 60_000) {
  const [challenge] = await database.db
    .insert(phoneChallenges)
    .values({
      userId,
      methodId,
      purpose: "sign_in",
      channel: "voice",
      status: "ringing",
      expiresAt: new Date(Date.now() + expiresInMs),
    })
    .returning({ id: phoneChallenges.id });
  await queueMessage(database.db, {
    userId,
    channel: "voice",
    recipient: "+447700900123",
    body: "Press the pound key to sign in.",
    reference: challenge!.id,
  });
  return challenge!.id;
}

async function statusOf(id: string) {
  const [row] = await database.db
    .select({ status: phoneChallenges.status })
    .from(phoneChallenges)
    .where(eq(phoneChallenges.id, id));
  return row!.status;
}

describe("the developer outbox", () => {
  it("is active for every channel by default", () => {
    expect(isOutboxProviderActive()).toBe(true);
    expect(outboxChannels()).toEqual(["email", "sms", "voice"]);
  });

  it("lists messages newest first, with sealed codes opened for display", async () => {
    await queueMessage(database.db, {
      userId,
      channel: "email",
      recipient: "dev@example.edu",
      subject: "First",
      body: "first body",
    });
    await queueMessage(database.db, {
      userId,
      channel: "sms",
      recipient: "+447700900123",
      body: "Your code is 246810",
      sensitive: true,
    });
    const [stored] = await database.db.select().from(outbox).where(eq(outbox.channel, "sms"));
    expect(stored!.body).not.toContain("246810");
    const [newest, older] = await listOutboxEntries(database.db);
    expect(newest).toMatchObject({ channel: "sms", body: "Your code is 246810", callStatus: null });
    expect(older).toMatchObject({ channel: "email", subject: "First", body: "first body" });
  });

  it("answers a ringing call with # and shows what became of it", async () => {
    const id = await call();
    let [entry] = await listOutboxEntries(database.db);
    expect(entry).toMatchObject({
      channel: "voice",
      ringingChallengeId: id,
      callStatus: "ringing",
    });
    expect(await answerOutboxCall(database.db, id, "#")).toBe("approved");
    expect(await statusOf(id)).toBe("approved");
    [entry] = await listOutboxEntries(database.db);
    expect(entry).toMatchObject({ ringingChallengeId: null, callStatus: "approved" });
    // Answering again changes nothing.
    expect(await answerOutboxCall(database.db, id, null)).toBe("gone");
    expect(await statusOf(id)).toBe("approved");
  });

  it("declines, and offers no keypad for an expired call", async () => {
    const declined = await call();
    expect(await answerOutboxCall(database.db, declined, null)).toBe("declined");
    expect(await statusOf(declined)).toBe("declined");
    const expired = await call(-1000);
    const [entry] = await listOutboxEntries(database.db);
    expect(entry).toMatchObject({ ringingChallengeId: null, callStatus: "ended" });
    expect(await answerOutboxCall(database.db, expired, "#")).toBe("gone");
    expect(await statusOf(expired)).toBe("ringing");
  });

  it("answers only calls the outbox placed", async () => {
    const [challenge] = await database.db
      .insert(phoneChallenges)
      .values({
        userId,
        methodId,
        purpose: "sign_in",
        channel: "voice",
        status: "ringing",
        expiresAt: new Date(Date.now() + 60_000),
      })
      .returning({ id: phoneChallenges.id });
    expect(await answerOutboxCall(database.db, challenge!.id, "#")).toBe("gone");
    expect(await statusOf(challenge!.id)).toBe("ringing");
  });

  it("has no gateway callback while calls stay in the outbox", async () => {
    const id = await call();
    const response = await gatherCallback(
      new Request(`http://127.0.0.1:3000/api/phone/calls/${id}/gather`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "Digits=%23",
      }),
      { params: Promise.resolve({ challengeId: id }) },
    );
    expect(response.status).toBe(404);
    expect(await statusOf(id)).toBe("ringing");
  });
});
