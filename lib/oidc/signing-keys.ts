import { generateKeyPairSync, randomBytes } from "node:crypto";
import { and, desc, isNull, isNotNull, lte, or, sql } from "drizzle-orm";
import type { JWK } from "oidc-provider";
import type { Executor } from "@/lib/db/client";
import { oidcSigningKeys } from "@/lib/db/schema";
import { seal, unseal } from "@/lib/security/sealing";

// The keys that sign ID tokens and logout tokens. Kept in the database, sealed, so every instance
// signs and publishes the same set; made on first start. Rotating adds a new key that signs from
// the next start; the old one stays published until everything it signed has expired.

/** How long a retired key stays published: longer than any token it signed lives. */
export const RETIRED_KEY_PUBLISHED_SECONDS = 24 * 3600;

const SEAL_CONTEXT = (kid: string) => `oidc-signing-key:${kid}`;

function newSigningKey(): { kid: string; jwk: JWK } {
  const kid = randomBytes(12).toString("base64url");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } as JWK;
  return { kid, jwk };
}

async function insertKey(db: Executor): Promise<string> {
  const { kid, jwk } = newSigningKey();
  await db
    .insert(oidcSigningKeys)
    .values({ kid, sealedKey: seal(JSON.stringify(jwk), SEAL_CONTEXT(kid)) });
  return kid;
}

/**
 * The published keys, the signing one first. Makes the first key when there is none (two
 * instances starting together may both make one: the newer signs, both are published).
 */
export async function loadSigningKeys(db: Executor): Promise<JWK[]> {
  const published = () =>
    db
      .select()
      .from(oidcSigningKeys)
      .where(
        or(
          isNull(oidcSigningKeys.retiredAt),
          sql`${oidcSigningKeys.retiredAt} > now() - make_interval(secs => ${RETIRED_KEY_PUBLISHED_SECONDS})`,
        ),
      )
      .orderBy(desc(oidcSigningKeys.createdAt));
  let rows = await published();
  if (!rows.some((row) => row.retiredAt === null)) {
    await insertKey(db);
    rows = await published();
  }
  // The key in use signs: it comes first, then the retired ones.
  rows.sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null));
  return rows.map((row) => JSON.parse(unseal(row.sealedKey, SEAL_CONTEXT(row.kid))) as JWK);
}

/** Makes a new signing key and retires the current ones; returns the new key's id. */
export async function rotateSigningKey(db: Executor): Promise<string> {
  return db.transaction(async (tx) => {
    await tx
      .update(oidcSigningKeys)
      .set({ retiredAt: sql`now()` })
      .where(isNull(oidcSigningKeys.retiredAt));
    return insertKey(tx);
  });
}

/** Deletes retired keys that no unexpired token can name any more. */
export async function purgeRetiredSigningKeys(db: Executor): Promise<number> {
  const removed = await db
    .delete(oidcSigningKeys)
    .where(
      and(
        isNotNull(oidcSigningKeys.retiredAt),
        lte(
          oidcSigningKeys.retiredAt,
          sql`now() - make_interval(secs => ${RETIRED_KEY_PUBLISHED_SECONDS})`,
        ),
      ),
    )
    .returning({ kid: oidcSigningKeys.kid });
  return removed.length;
}
