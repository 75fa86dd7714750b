import { and, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import type { Adapter, AdapterPayload } from "oidc-provider";
import type { Executor } from "@/lib/db/client";
import { oidcRecords } from "@/lib/db/schema";
import { clientMetadata, findApp } from "@/lib/apps/registry";

// The provider's storage on Factor's own database (PGlite or PostgreSQL): one table for every
// model it keeps, keyed by model and id. Clients are not stored here: they are the apps
// registered in the console, read from `apps` on every lookup so a disabled app stops at once.

type Payload = AdapterPayload & Record<string, unknown>;

/** The stored record if it has not expired, with `consumed` set the way the provider expects. */
function live(row: { payload: unknown; consumedAt: Date | null } | undefined): Payload | undefined {
  if (!row) return undefined;
  const payload = row.payload as Payload;
  return row.consumedAt
    ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) }
    : payload;
}

const notExpired = or(isNull(oidcRecords.expiresAt), gt(oidcRecords.expiresAt, sql`now()`));

/** The adapter class the provider's configuration takes, bound to `db`. */
export function drizzleAdapter(db: Executor): new (kind: string) => Adapter {
  return class DrizzleAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn ? sql`now() + make_interval(secs => ${expiresIn})` : null;
      const row = {
        payload: payload as Record<string, unknown>,
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        accountId: payload.accountId ?? null,
        expiresAt,
      };
      await db
        .insert(oidcRecords)
        .values({ kind: this.kind, id, ...row })
        .onConflictDoUpdate({ target: [oidcRecords.kind, oidcRecords.id], set: row });
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.kind === "Client") {
        const app = await findApp(db, id);
        return app ? (clientMetadata(app) as Payload | undefined) : undefined;
      }
      return live(await this.first(eq(oidcRecords.id, id)));
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return live(await this.first(eq(oidcRecords.uid, uid)));
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return live(await this.first(eq(oidcRecords.userCode, userCode)));
    }

    async consume(id: string): Promise<void> {
      await db
        .update(oidcRecords)
        .set({ consumedAt: sql`now()` })
        .where(and(eq(oidcRecords.kind, this.kind), eq(oidcRecords.id, id)));
    }

    async destroy(id: string): Promise<void> {
      await db
        .delete(oidcRecords)
        .where(and(eq(oidcRecords.kind, this.kind), eq(oidcRecords.id, id)));
    }

    /** Every record of the grant, whatever its model: a replayed code revokes all it issued. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.delete(oidcRecords).where(eq(oidcRecords.grantId, grantId));
    }

    private async first(match: ReturnType<typeof eq>) {
      const [row] = await db
        .select({ payload: oidcRecords.payload, consumedAt: oidcRecords.consumedAt })
        .from(oidcRecords)
        .where(and(eq(oidcRecords.kind, this.kind), match, notExpired))
        .limit(1);
      return row;
    }
  };
}

/** Deletes the provider's records that expired (run with the other hourly clean-ups). */
export async function purgeExpiredOidcRecords(db: Executor): Promise<number> {
  const removed = await db
    .delete(oidcRecords)
    .where(lte(oidcRecords.expiresAt, sql`now()`))
    .returning({ id: oidcRecords.id });
  return removed.length;
}
