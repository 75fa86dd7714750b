import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, revokeOwnSession, sessionReference } from "@/lib/auth/sessions";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { completeSignIn } from "@/lib/auth/sign-in";
import { beginSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { auditLog, mfaMethods, outbox, rememberedBrowsers, sessions } from "@/lib/db/schema";
import { hashToken } from "@/lib/security/tokens";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  browserReference,
  forgetOwnBrowser,
  isBrowserRemembered,
  listRememberedBrowsers,
  recordBrowsersForgotten,
  rememberBrowser,
} from "./remembered-browser";
import { createTestUser } from "@/lib/testing/users";

const FIREFOX_ON_MACOS =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0";
const context = { ip: "198.51.100.44", userAgent: FIREFOX_ON_MACOS };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

let counter = 0;

/** A person with an authenticator app, so a sign-in needs a second factor. */
async function person() {
  counter += 1;
  const email = `remembered${counter}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: `Remembered ${counter}`,
    role: "user",
  });
  await database.db.insert(mfaMethods).values({
    userId: id,
    kind: "authenticator_app",
    label: "Phone",
    status: "active",
    secretSealed: "sealed",
    isDefault: true,
  });
  return { id, email, displayName: `Remembered ${counter}`, password };
}

/** The password step in a browser holding `token`, then the session it leads to (or null). */
async function signInWith(account: { email: string; password: string }, token: string) {
  const step = await verifyPasswordStep(
    database.db,
    { email: account.email, password: account.password, callbackPath: "/" },
    context,
    { stayChoice: false, rememberedToken: token },
  );
  if (!step.ok) throw new Error("the password was refused");
  return {
    stage: step.stage,
    finish: () => completeSignIn(database.db, step.transactionToken, context),
  };
}

async function sessionRow(token: string) {
  const [row] = await database.db
    .select({ rememberedBrowserId: sessions.rememberedBrowserId })
    .from(sessions)
    .where(eq(sessions.id, hashToken(token)));
  return row;
}

describe("remembered browsers (R-A1.8, R-A12.7)", () => {
  it("remembers where it was and links the session of the sign-in that chose it", async () => {
    const me = await person();
    const transaction = await beginSignInTransaction(database.db, {
      userId: me.id,
      purpose: "sign_in",
      stage: "ready",
      methods: ["pwd", "otp"],
      callbackPath: "/",
      ip: context.ip,
      userAgent: context.userAgent,
    });
    const token = await rememberBrowser(database.db, me.id, 14, FIREFOX_ON_MACOS, {
      ip: context.ip,
      transactionId: hashToken(transaction),
    });
    const session = await completeSignIn(database.db, transaction, context);
    expect((await sessionRow(session!))?.rememberedBrowserId).toBe(hashToken(token));

    const [listed] = await listRememberedBrowsers(database.db, me.id, hashToken(session!));
    expect(listed).toMatchObject({
      reference: browserReference(hashToken(token)),
      userAgent: FIREFOX_ON_MACOS,
      ip: context.ip,
      lastUsedAt: null,
      current: true,
    });
    // The page gets a handle, never the stored id nor the token.
    const serialised = JSON.stringify(await listRememberedBrowsers(database.db, me.id));
    expect(serialised).not.toContain(hashToken(token));
    expect(serialised).not.toContain(token);
  });

  it("records each sign-in that skipped the code and links its session; forgotten meanwhile, the sign-in cannot finish", async () => {
    const me = await person();
    const token = await rememberBrowser(database.db, me.id, 14, FIREFOX_ON_MACOS);
    const first = await signInWith(me, token);
    expect(first.stage).toBe("ready");
    const session = await first.finish();
    expect(session).not.toBeNull();
    expect((await sessionRow(session!))?.rememberedBrowserId).toBe(hashToken(token));
    const [listed] = await listRememberedBrowsers(database.db, me.id);
    expect(listed!.lastUsedAt).not.toBeNull();

    // Past the password on the strength of the browser, then the browser is forgotten.
    const second = await signInWith(me, token);
    expect(second.stage).toBe("ready");
    expect(await forgetOwnBrowser(database.db, me.id, listed!.reference)).not.toBeNull();
    expect(await second.finish()).toBeNull();
    expect((await signInWith(me, token)).stage).toBe("second_factor");
  });

  it("forgets one browser by its reference and leaves the others; another person's is 'not found' and stays (R-A9.4)", async () => {
    const me = await person();
    const stranger = await person();
    const laptop = await rememberBrowser(database.db, me.id, 14, "laptop");
    const tablet = await rememberBrowser(database.db, me.id, 14, "tablet");
    const theirs = await rememberBrowser(database.db, stranger.id, 14, "theirs");

    const foreign = browserReference(hashToken(theirs));
    expect(await forgetOwnBrowser(database.db, me.id, foreign)).toBeNull();
    expect(await forgetOwnBrowser(database.db, me.id, "not-a-reference")).toBeNull();
    expect(await forgetOwnBrowser(database.db, me.id, browserReference("unknown"))).toBeNull();
    expect(await isBrowserRemembered(database.db, stranger.id, theirs)).toBe(true);
    expect(await listRememberedBrowsers(database.db, stranger.id)).toHaveLength(1);
    expect(await listRememberedBrowsers(database.db, me.id)).toHaveLength(2);

    const reference = browserReference(hashToken(laptop));
    expect(await forgetOwnBrowser(database.db, me.id, reference)).toEqual({
      reference,
      userAgent: "laptop",
      ip: null,
    });
    expect(await isBrowserRemembered(database.db, me.id, laptop)).toBe(false);
    expect(await isBrowserRemembered(database.db, me.id, tablet)).toBe(true);
    expect((await listRememberedBrowsers(database.db, me.id)).map((b) => b.userAgent)).toEqual([
      "tablet",
    ]);
    // Already forgotten: the same answer as a reference that never existed.
    expect(await forgetOwnBrowser(database.db, me.id, reference)).toBeNull();
  });

  it("a forgotten browser is audited and told to its owner (R-A9.3, R-A15.1)", async () => {
    const me = await person();
    const token = await rememberBrowser(database.db, me.id, 14, FIREFOX_ON_MACOS, {
      ip: "10.1.2.3",
    });
    const reference = browserReference(hashToken(token));
    await database.db.transaction(async (tx) => {
      const browser = await forgetOwnBrowser(tx, me.id, reference);
      await recordBrowsersForgotten(tx, me, browser!, context, "devices");
    });
    const audits = await database.db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, me.id), eq(auditLog.actorId, me.id)));
    expect(audits).toContainEqual({
      action: "mfa.remembered_browser.forgotten",
      details: { from: "devices", browser: reference, device: "Firefox on macOS, Private network" },
    });
    const mail = await database.db
      .select({ subject: outbox.subject, body: outbox.body })
      .from(outbox)
      .where(eq(outbox.userId, me.id));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe("A browser asks for a verification code again");
    expect(mail[0]!.body).toContain("Firefox on macOS, Private network");
  });

  it("signing a session out from Devices forgets the browser it came from, also after a step-up", async () => {
    const me = await person();
    const stranger = await person();
    const token = await rememberBrowser(database.db, me.id, 14, FIREFOX_ON_MACOS);
    const theirToken = await rememberBrowser(database.db, stranger.id, 14, FIREFOX_ON_MACOS);
    const signedIn = await (await signInWith(me, token)).finish();
    const theirSession = await (await signInWith(stranger, theirToken)).finish();
    const here = await createSession(database.db, {
      userId: me.id,
      aal: 2,
      methods: ["pwd", "otp"],
      authenticatedAt: new Date(),
      secondFactorAt: new Date(),
      persistent: false,
      ip: context.ip,
      userAgent: "the person's own computer",
    });

    // A step-up replaces the session; the new one keeps the link.
    const stepUp = await beginSignInTransaction(database.db, {
      userId: me.id,
      purpose: "step_up",
      stage: "ready",
      methods: ["pwd", "otp"],
      replacesSessionId: hashToken(signedIn!),
      callbackPath: "/",
      ip: context.ip,
      userAgent: context.userAgent,
    });
    const steppedUp = await completeSignIn(database.db, stepUp, context);
    expect((await sessionRow(steppedUp!))?.rememberedBrowserId).toBe(hashToken(token));

    const signOut = (reference: string) =>
      revokeOwnSession(database.db, me.id, reference, "signed_out_from_devices", hashToken(here));
    // Another person's session: nothing ends, their browser stays remembered (R-A9.4).
    expect(await signOut(sessionReference(hashToken(theirSession!)))).toBe(false);
    expect(await isBrowserRemembered(database.db, stranger.id, theirToken)).toBe(true);

    expect(await signOut(sessionReference(hashToken(steppedUp!)))).toEqual({
      forgottenBrowser: expect.objectContaining({
        reference: browserReference(hashToken(token)),
      }),
    });
    expect(await isBrowserRemembered(database.db, me.id, token)).toBe(false);
    const [row] = await database.db
      .select({ revokedAt: rememberedBrowsers.revokedAt })
      .from(rememberedBrowsers)
      .where(eq(rememberedBrowsers.id, hashToken(token)));
    expect(row!.revokedAt).not.toBeNull();
  });
});
