import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { getDb, type Db } from "@/lib/db/client";
import { outbox } from "@/lib/db/schema";
import { DELIVERED_BODY, openBody } from "./message-body";
import {
  checkMessageSettings,
  PermanentDeliveryError,
  providerFor,
  type MessageProvider,
} from "./providers";

// Delivers the outbox. A pass claims due messages in a short transaction (FOR UPDATE SKIP
// LOCKED, so instances never wait on each other) and leases them by moving next_attempt_at past
// the send; it sends outside any transaction, then records the outcome only if it still holds
// the lease (the attempt number is the fence). A crash after claiming leaves the message due
// again when its lease runs out: delivery is at least once, and exactly once while leases hold.

/** Attempts before a message is marked failed for good. */
export const MAX_ATTEMPTS = 8;
/** How long a claimed message is reserved for the instance sending it. */
export const LEASE_MS = 2 * 60_000;
/** The first retry waits this long; each later one twice as long, up to BACKOFF_MAX_MS. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 15 * 60_000;
/** How often the loop looks for due messages (retries, and messages queued elsewhere). */
export const DISPATCH_INTERVAL_MS = 3_000;
/** After a message is queued, how long to wait for its transaction to commit before sending. */
const KICK_DELAY_MS = 250;
const BATCH_SIZE = 20;
const MAX_ERROR_LENGTH = 500;

export type DispatchOptions = {
  /** Delivers every channel instead of the configured providers (tests). */
  provider?: MessageProvider;
  /** The time the pass acts at; the database's clock when omitted. */
  now?: Date;
  batchSize?: number;
  leaseMs?: number;
  maxAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
};

export type DispatchResult = {
  sent: number;
  /** Marked failed for good in this pass. */
  failed: number;
  /** Not delivered in this pass and scheduled again. */
  retrying: number;
};

/** The wait before retrying after the given (1-based) failed attempt. */
export function retryDelayMs(
  attempt: number,
  backoff = { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS },
): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** One line for the stored last error and the log: no line breaks, no message body. */
function describeFailure(error: unknown, body: string | null): string {
  let text = error instanceof Error ? error.message : String(error);
  if (body && body.length >= 4) text = text.split(body).join("[message]");
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, MAX_ERROR_LENGTH) || "Unknown error";
}

async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await db.execute<{ now: string | Date }>(sql`select now() as now`);
  return new Date(rows[0]!.now);
}

/** The body to send, or a permanent failure when it cannot be opened. */
function bodyToSend(row: typeof outbox.$inferSelect): string {
  let body: string | null;
  try {
    body = openBody(row);
  } catch {
    throw new PermanentDeliveryError(
      "The sealed message cannot be opened (is its key still configured?)",
    );
  }
  if (body === null) throw new PermanentDeliveryError("The message was already erased");
  return body;
}

/** Delivers the messages due now, once each; returns what happened. */
export async function dispatchDue(db: Db, options: DispatchOptions = {}): Promise<DispatchResult> {
  const now = options.now ?? (await databaseNow(db));
  const leaseUntil = new Date(now.getTime() + (options.leaseMs ?? LEASE_MS));
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const result: DispatchResult = { sent: 0, failed: 0, retrying: 0 };

  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, now)))
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(options.batchSize ?? BATCH_SIZE)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, nextAttemptAt: leaseUntil })
      .where(
        inArray(
          outbox.id,
          due.map((row) => row.id),
        ),
      )
      .returning();
  });

  for (const row of claimed) {
    // Only the holder of this attempt's lease may record its outcome.
    const fence = and(
      eq(outbox.id, row.id),
      eq(outbox.status, "pending"),
      eq(outbox.attempts, row.attempts),
    );
    const provider = options.provider ?? providerFor(row.channel);
    let body: string | null = null;
    try {
      body = bodyToSend(row);
      const { providerMessageId } = await provider.send({
        id: row.id,
        channel: row.channel,
        recipient: row.recipient,
        subject: row.subject,
        body,
        htmlBody: row.htmlBody,
        reference: row.reference,
      });
      await db
        .update(outbox)
        .set({
          status: "sent",
          sentAt: now,
          provider: provider.name,
          providerMessageId,
          lastError: null,
          // A code delivered elsewhere has no reason to stay, even sealed.
          ...(row.sensitive && !provider.keepsMessages ? { body: DELIVERED_BODY } : {}),
        })
        .where(fence);
      result.sent += 1;
    } catch (error) {
      const lastError = describeFailure(error, body);
      const final = error instanceof PermanentDeliveryError || row.attempts >= maxAttempts;
      await db
        .update(outbox)
        .set(
          final
            ? { status: "failed", provider: provider.name, lastError }
            : {
                provider: provider.name,
                lastError,
                nextAttemptAt: new Date(
                  now.getTime() + retryDelayMs(row.attempts, options.backoff),
                ),
              },
        )
        .where(fence);
      if (final) result.failed += 1;
      else result.retrying += 1;
      console.warn(
        `Message ${row.id} (${row.channel}) ${final ? "failed" : `attempt ${row.attempts} failed`}: ${lastError}`,
      );
    }
  }
  return result;
}

// ── the loop in the server process ─────────────────────────────────────────

type LoopState = {
  started: boolean;
  timer?: NodeJS.Timeout;
  kick?: NodeJS.Timeout;
  running?: Promise<void>;
  again: boolean;
};

// Shared through globalThis: the server starts the loop, and Next's bundles (their own module
// instances) kick it after queueing.
const holder = globalThis as unknown as { __factorDispatcher?: LoopState };
const loop = (holder.__factorDispatcher ??= { started: false, again: false });

async function runPasses(): Promise<void> {
  if (loop.running) {
    loop.again = true;
    return loop.running;
  }
  loop.running = (async () => {
    try {
      do {
        loop.again = false;
        const db = await getDb();
        // Drain: a full batch means more may be waiting.
        for (;;) {
          const { sent, failed, retrying } = await dispatchDue(db);
          if (sent + failed + retrying < BATCH_SIZE) break;
        }
      } while (loop.again && loop.started);
    } catch (error) {
      console.error("Message dispatch failed:", describeFailure(error, null));
    } finally {
      loop.running = undefined;
    }
  })();
  return loop.running;
}

/** Starts delivering the outbox from this process: every few seconds and when kicked. */
export function startDispatcher(intervalMs = DISPATCH_INTERVAL_MS): void {
  if (loop.started) return;
  checkMessageSettings();
  loop.started = true;
  loop.timer = setInterval(() => void runPasses(), intervalMs);
  loop.timer.unref();
  kickDispatcher();
}

/** Stops the loop and waits for a pass in progress to finish. */
export async function stopDispatcher(): Promise<void> {
  loop.started = false;
  clearInterval(loop.timer);
  clearTimeout(loop.kick);
  loop.timer = loop.kick = undefined;
  await loop.running;
}

/**
 * Asks the loop to deliver soon, e.g. right after a commit that queued a message. Debounced;
 * does nothing in a process where the loop is not running (scripts, tests).
 */
export function kickDispatcher(): void {
  if (!loop.started || loop.kick) return;
  loop.kick = setTimeout(() => {
    loop.kick = undefined;
    void runPasses();
  }, KICK_DELAY_MS);
  loop.kick.unref();
}
