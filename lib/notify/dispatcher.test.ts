import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outbox } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  BACKOFF_BASE_MS,
  dispatchDue,
  LEASE_MS,
  retryDelayMs,
  startDispatcher,
  stopDispatcher,
} from "./dispatcher";
import { DELIVERED_BODY, openBody } from "./message-body";
import {
  OUTBOX_RETENTION_DAYS,
  purgeOldMessages,
  queueMessage,
  type OutgoingMessage,
} from "./outbox";
import { PermanentDeliveryError, type DeliverableMessage, type MessageProvider } from "./providers";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await stopDispatcher();
  await database.dispose();
});

/** A stand-in for an external service: records what it was given, fails as told. */
function recordingProvider(
  options: {
    failures?: number;
    error?: (message: DeliverableMessage) => Error;
    keepsMessages?: boolean;
    delayMs?: number;
  } = {},
) {
  const delivered: DeliverableMessage[] = [];
  let calls = 0;
  const provider: MessageProvider = {
    name: "recording",
    keepsMessages: options.keepsMessages ?? false,
    async send(message) {
      calls += 1;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (calls <= (options.failures ?? 0)) {
        throw options.error?.(message) ?? new Error("gateway unavailable");
      }
      delivered.push(message);
      return { providerMessageId: `rec-${message.id}` };
    },
  };
  return { provider, delivered, calls: () => calls };
}

/** Queues a message in its own committed transaction, as a change would. */
async function queueCommitted(message: Partial<OutgoingMessage> & { recipient: string }) {
  await database.db.transaction(async (tx) => {
    await queueMessage(tx, { userId: null, channel: "email", body: "Hello", ...message });
  });
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, message.recipient));
  return row!;
}

async function rowOf(id: number) {
  const [row] = await database.db.select().from(outbox).where(eq(outbox.id, id));
  return row!;
}

/** A moment safely after anything queued so far (the database's clock stamps new messages). */
const soon = () => new Date(Date.now() + 1000);
const after = (from: Date, ms: number) => new Date(from.getTime() + ms);

describe("dispatchDue", () => {
  it("retries a provider that fails twice with growing waits, then sends once", async () => {
    const row = await queueCommitted({ recipient: "flaky@example.edu", subject: "Flaky" });
    const { provider, delivered, calls } = recordingProvider({ failures: 2 });
    const t0 = soon();

    expect(await dispatchDue(database.db, { provider, now: t0 })).toEqual({
      sent: 0,
      failed: 0,
      retrying: 1,
    });
    let stored = await rowOf(row.id);
    expect(stored).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "gateway unavailable",
    });
    expect(stored.nextAttemptAt.getTime()).toBe(t0.getTime() + BACKOFF_BASE_MS);

    // Not due yet: nothing is tried.
    await dispatchDue(database.db, { provider, now: after(t0, BACKOFF_BASE_MS - 1) });
    expect(calls()).toBe(1);

    const t1 = after(t0, BACKOFF_BASE_MS);
    expect((await dispatchDue(database.db, { provider, now: t1 })).retrying).toBe(1);
    stored = await rowOf(row.id);
    expect(stored.attempts).toBe(2);
    // The second wait is twice the first.
    expect(stored.nextAttemptAt.getTime()).toBe(t1.getTime() + 2 * BACKOFF_BASE_MS);

    const t2 = after(t1, 2 * BACKOFF_BASE_MS);
    expect(await dispatchDue(database.db, { provider, now: t2 })).toEqual({
      sent: 1,
      failed: 0,
      retrying: 0,
    });
    stored = await rowOf(row.id);
    expect(stored).toMatchObject({
      status: "sent",
      attempts: 3,
      provider: "recording",
      providerMessageId: `rec-${row.id}`,
      lastError: null,
    });
    expect(stored.sentAt!.getTime()).toBe(t2.getTime());
    expect(delivered.map((m) => m.id)).toEqual([row.id]);

    // Much later, nothing is sent again.
    expect((await dispatchDue(database.db, { provider, now: after(t2, 86_400_000) })).sent).toBe(0);
    expect(calls()).toBe(3);
  });

  it("doubles the wait up to a cap", () => {
    const backoff = { baseMs: 1000, maxMs: 5000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, backoff))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it("sends a message committed before a crash exactly once after the restart", async () => {
    // The change and its message commit; the process dies before any dispatch.
    const row = await queueCommitted({ recipient: "crash@example.edu", subject: "Committed" });
    // The restarted process: a new provider instance, a new pass.
    const restarted = recordingProvider();
    expect(
      (await dispatchDue(database.db, { provider: restarted.provider, now: soon() })).sent,
    ).toBe(1);
    expect(
      (await dispatchDue(database.db, { provider: restarted.provider, now: soon() })).sent,
    ).toBe(0);
    expect(restarted.delivered.map((m) => m.id)).toEqual([row.id]);
    expect((await rowOf(row.id)).status).toBe("sent");
  });

  it("retries a message whose sender died after claiming it, once its lease runs out", async () => {
    const row = await queueCommitted({ recipient: "lease@example.edu" });
    const t0 = soon();
    // The first instance claims the message and hangs forever in the provider (then "dies").
    let reachedProvider!: () => void;
    const reached = new Promise<void>((resolve) => (reachedProvider = resolve));
    const hanging: MessageProvider = {
      name: "hanging",
      keepsMessages: false,
      send: () => {
        reachedProvider();
        return new Promise(() => {});
      },
    };
    void dispatchDue(database.db, { provider: hanging, now: t0 });
    await reached;

    const other = recordingProvider();
    // While the lease holds, another instance leaves it alone…
    await dispatchDue(database.db, { provider: other.provider, now: after(t0, LEASE_MS - 1) });
    expect(other.calls()).toBe(0);
    // …and takes it over when the lease has run out.
    expect(
      (await dispatchDue(database.db, { provider: other.provider, now: after(t0, LEASE_MS) })).sent,
    ).toBe(1);
    expect(other.delivered.map((m) => m.id)).toEqual([row.id]);
    expect(await rowOf(row.id)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("never sends one message twice from concurrent passes", async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `parallel-${i}@example.edu`);
    for (const recipient of recipients) await queueCommitted({ recipient });
    const { provider, delivered } = recordingProvider({ delayMs: 5 });
    const now = soon();
    const results = await Promise.all([
      dispatchDue(database.db, { provider, now, batchSize: 5 }),
      dispatchDue(database.db, { provider, now, batchSize: 5 }),
      dispatchDue(database.db, { provider, now, batchSize: 5 }),
    ]);
    const ids = delivered.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(ids.length);
    // Whatever is left is picked up by the next pass, still once each.
    await dispatchDue(database.db, { provider, now });
    const sentToThese = delivered.filter((m) => recipients.includes(m.recipient));
    expect(sentToThese.map((m) => m.recipient).sort()).toEqual([...recipients].sort());
  });

  it("marks a permanent failure failed at once, without the message in the error", async () => {
    const code = "493817";
    const row = await queueCommitted({
      recipient: "+447700900001",
      channel: "sms",
      body: `Your Example University verification code is ${code}`,
      sensitive: true,
    });
    const { provider } = recordingProvider({
      failures: 1,
      // A provider that echoes what it was sent into its error.
      error: (m) => new PermanentDeliveryError(`refused "${m.body}"\r\nsecond line`),
    });
    expect(await dispatchDue(database.db, { provider, now: soon() })).toEqual({
      sent: 0,
      failed: 1,
      retrying: 0,
    });
    const stored = await rowOf(row.id);
    expect(stored.status).toBe("failed");
    expect(stored.lastError).toContain("refused");
    expect(stored.lastError).not.toContain(code);
    expect(stored.lastError).not.toMatch(/[\r\n]/);
    expect(stored.body).not.toContain(code);
  });

  it("gives up after the last attempt", async () => {
    const row = await queueCommitted({ recipient: "gives-up@example.edu" });
    const { provider } = recordingProvider({ failures: 99 });
    let now = soon();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await dispatchDue(database.db, { provider, now, maxAttempts: 3 });
      now = after(now, 3_600_000);
    }
    expect(await rowOf(row.id)).toMatchObject({
      status: "failed",
      attempts: 3,
      lastError: "gateway unavailable",
    });
  });

  it("keeps a code sealed at rest and erases it once delivered elsewhere", async () => {
    const code = "620418";
    const row = await queueCommitted({
      recipient: "+447700900002",
      channel: "sms",
      body: `Code ${code}`,
      sensitive: true,
    });
    expect(row.body).not.toContain(code);
    expect(openBody(row)).toBe(`Code ${code}`);
    const { provider, delivered } = recordingProvider();
    await dispatchDue(database.db, { provider, now: soon() });
    expect(delivered.find((m) => m.id === row.id)?.body).toBe(`Code ${code}`);
    expect((await rowOf(row.id)).body).toBe(DELIVERED_BODY);
  });

  it("keeps a code sealed, not erased, when the outbox provider keeps it", async () => {
    const row = await queueCommitted({
      recipient: "+447700900003",
      channel: "sms",
      body: "Code 111222",
      sensitive: true,
    });
    // No provider given: with no gateway configured, SMS goes to the outbox provider.
    await dispatchDue(database.db, { now: soon() });
    const stored = await rowOf(row.id);
    expect(stored).toMatchObject({ status: "sent", provider: "outbox" });
    expect(stored.body).not.toContain("111222");
    expect(openBody(stored)).toBe("Code 111222");
  });
});

describe("retention", () => {
  it("deletes delivered and failed messages after the retention period, never pending ones", async () => {
    const pending = await queueCommitted({ recipient: "retention-pending@example.edu" });
    const sent = await queueCommitted({ recipient: "retention-sent@example.edu" });
    await database.db.update(outbox).set({ status: "sent" }).where(eq(outbox.id, sent.id));
    const justBefore = after(sent.createdAt, OUTBOX_RETENTION_DAYS * 86_400_000 - 1000);
    const justAfter = after(sent.createdAt, OUTBOX_RETENTION_DAYS * 86_400_000 + 1000);
    const ids = async () =>
      (await database.db.select({ id: outbox.id }).from(outbox)).map((r) => r.id);
    await purgeOldMessages(database.db, justBefore);
    expect(await ids()).toContain(sent.id);
    await purgeOldMessages(database.db, justAfter);
    const left = await ids();
    expect(left).toContain(pending.id);
    expect(left).not.toContain(sent.id);
  });
});

describe("the dispatcher loop", () => {
  it("delivers a message queued while it runs, without a manual pass", async () => {
    startDispatcher(60_000);
    const row = await queueCommitted({ recipient: "loop@example.edu" });
    // Kicked by queueMessage: delivered well before the (one-minute) interval.
    const deadline = Date.now() + 10_000;
    while ((await rowOf(row.id)).status !== "sent" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await rowOf(row.id)).status).toBe("sent");
    await stopDispatcher();
  });
});
