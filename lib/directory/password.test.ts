import { eq } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { answerStaySignedIn, completeSignIn } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import { auditLog, sessions, users } from "@/lib/db/schema";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { totpCode } from "@/lib/mfa/totp";
import { getThrottle } from "@/lib/security/throttle";
import { pinClock } from "@/lib/testing/clock";
import { directoryPassword, personDn, type TestDirectory } from "@/lib/testing/directory";
import { accepted } from "@/lib/testing/enrolment";
import type { TestDatabase } from "@/lib/testing/test-database";
import { setUpDirectoryTests } from "@/lib/testing/directory-tests";

// The password step against a real OpenLDAP server (lib/testing/directory.ts): the directory
// checks the password, Factor's gate decides how often it may be asked (issue #17).

const context = { ip: "198.51.100.44", userAgent: "vitest" };
const setup = setUpDirectoryTests({ PASSWORD_LOCKOUT_THRESHOLD: "3" });
let directory: TestDirectory;
let database: TestDatabase;
let localAdmin: { id: string; password: string };
beforeAll(() => {
  ({ directory, database, breakGlass: localAdmin } = setup);
});
beforeEach(() => {
  pinClock();
});

const signIn = (email: string, password: string, ip = context.ip) =>
  verifyPasswordStep(database.db, { email, password, callbackPath: "/" }, { ...context, ip });

async function account(email: string) {
  const [row] = await database.db.select().from(users).where(eq(users.email, email));
  return row;
}

async function refusalReasons(email: string) {
  const rows = await database.db
    .select({ details: auditLog.details })
    .from(auditLog)
    .where(eq(auditLog.action, "auth.sign_in.failed"));
  return rows.filter((row) => row.details?.email === email).map((row) => row.details?.reason);
}

const bindsOf = (uid: string) => directory.binds().filter((dn) => dn === personDn(uid)).length;

describe("a person of the directory", () => {
  it("signs in for the first time with the directory password and an authenticator code", async () => {
    const step = await signIn("ada.lovelace@example.edu", directoryPassword("ada.lovelace"));
    expect(step).toMatchObject({ ok: true, stage: "registration" });
    if (!step.ok) return;

    // Created on the way in, from the directory, with no password of Factor's.
    const ada = (await account("ada.lovelace@example.edu"))!;
    expect(ada).toMatchObject({
      displayName: "Ada Lovelace",
      role: "user",
      source: "directory",
      directoryLogin: "ada.lovelace",
      passwordHash: null,
      status: "active",
    });
    expect(ada.directoryId).toMatch(/^[0-9a-f-]{36}$/);

    // The first method and the backup the organisation asks for, each confirmed with a code.
    const user = { id: ada.id, email: ada.email, displayName: ada.displayName };
    for (const label of ["Phone", "Tablet"]) {
      accepted(await beginAuthenticatorEnrolment(database.db, user.id, label));
      const pending = await getPendingEnrolment(database.db, user.id, {
        issuer: "Example",
        account: user.email,
      });
      const transaction = (await getSignInTransaction(database.db, step.transactionToken))!;
      const enrolled = await confirmEnrolment(database.db, {
        enrolee: { user, transaction: { transaction } },
        kind: "authenticator_app",
        proof: "code",
        answer: await totpCode(pending!.secret),
        confirm: (tx, code) => confirmAuthenticatorEnrolment(tx, user.id, code),
        context,
        browser: { stayChoice: null },
      });
      expect(enrolled).toMatchObject({ ok: true });
    }
    const after = (await getSignInTransaction(database.db, step.transactionToken))!;
    expect(after.methods).toEqual(expect.arrayContaining(["pwd", "otp"]));
    if (after.stage === "stay_signed_in") await answerStaySignedIn(database.db, after, false);
    expect(await completeSignIn(database.db, step.transactionToken, context)).not.toBeNull();
    const live = await database.db.select().from(sessions).where(eq(sessions.userId, ada.id));
    expect(live).toHaveLength(1);

    // Nothing of the password is kept, in the account or in any record.
    for (const row of await database.db.select({ details: auditLog.details }).from(auditLog)) {
      expect(JSON.stringify(row.details)).not.toContain("directory-pass");
    }
  });

  it("signs in by login name too, counted under the one account", async () => {
    const step = await signIn("ada.lovelace", directoryPassword("ada.lovelace"));
    expect(step).toMatchObject({ ok: true, stage: "second_factor" });
    const wrong = await signIn("ADA.LOVELACE", "not-the-password");
    expect(wrong).toEqual({ ok: false });
    const { failures } = await getThrottle(
      database.db,
      "password:account",
      "ada.lovelace@example.edu",
    );
    expect(failures).toBe(1);
  });

  it("is refused a wrong password exactly like a name nobody has", async () => {
    const results = [
      await signIn("alan.turing@example.edu", "wrong-password-1"),
      await signIn("nobody.here@example.edu", "wrong-password-1"),
    ];
    expect(results).toEqual([{ ok: false }, { ok: false }]);
    expect(await account("nobody.here@example.edu")).toBeUndefined();
    expect(await refusalReasons("nobody.here@example.edu")).toEqual(["unknown_account"]);
  });

  it("never sends an empty password: LDAP would take it as an anonymous bind", async () => {
    const binds = directory.binds().length;
    expect(await signIn("alan.turing", "")).toEqual({ ok: false });
    expect(directory.binds()).toHaveLength(binds);
  });

  it("takes the role from the directory's groups", async () => {
    expect(await signIn("alan.turing@example.edu", directoryPassword("alan.turing"))).toMatchObject(
      { ok: true },
    );
    expect(await signIn("grace.hopper", directoryPassword("grace.hopper"))).toMatchObject({
      ok: true,
    });
    expect((await account("alan.turing@example.edu"))?.role).toBe("admin");
    expect((await account("grace.hopper@example.edu"))?.role).toBe("helpdesk");
  });

  it("hears that the password expired or must change only after typing the right one", async () => {
    expect(await signIn("old.expired@example.edu", "not-the-password")).toEqual({ ok: false });
    expect(await signIn("new.starter@example.edu", "not-the-password")).toEqual({ ok: false });
    expect(await signIn("old.expired@example.edu", directoryPassword("old.expired"))).toEqual({
      ok: false,
      notice: "password_expired",
    });
    expect(await signIn("new.starter@example.edu", directoryPassword("new.starter"))).toEqual({
      ok: false,
      notice: "password_must_change",
    });
    // Held back, the person is not let in, and no account is made for them yet.
    expect(await account("new.starter@example.edu")).toBeUndefined();
    expect(await refusalReasons("new.starter@example.edu")).toEqual([
      "unknown_account",
      "password_must_change",
    ]);
  });

  it("locked in the directory: the same refusal for every password, since no bind can tell", async () => {
    expect(await signIn("gone.away@example.edu", directoryPassword("gone.away"))).toEqual({
      ok: false,
    });
    expect(await signIn("gone.away@example.edu", "not-the-password")).toEqual({ ok: false });
    expect(await refusalReasons("gone.away@example.edu")).toEqual([
      "directory_locked",
      "directory_locked",
    ]);
  });

  it("cannot be locked in the directory by guesses through Factor: binds stop at Factor's lockout", async () => {
    const before = bindsOf("spray.target");
    const results = [];
    for (let i = 0; i < 8; i += 1) {
      results.push(await signIn("spray.target@example.edu", `spray-guess-${i}`, `203.0.113.${i}`));
    }
    expect(results.every((result) => !result.ok)).toBe(true);
    // PASSWORD_LOCKOUT_THRESHOLD is 3; the directory locks after 5 (the fixture's policy).
    expect(bindsOf("spray.target") - before).toBe(3);
    expect(
      await directory.whoami(personDn("spray.target"), directoryPassword("spray.target")),
    ).toBe(true);
  });

  it("when the directory is down: 'can't check' for its people, local accounts still sign in", async () => {
    const { failures: failuresBefore } = await getThrottle(
      database.db,
      "password:account",
      "ada.lovelace@example.edu",
    );
    await directory.stop();
    try {
      expect(await signIn("ada.lovelace@example.edu", directoryPassword("ada.lovelace"))).toEqual({
        ok: false,
        notice: "unavailable",
      });
      expect(await signIn("someone.new@example.edu", "any-password")).toEqual({
        ok: false,
        notice: "unavailable",
      });
      expect(await signIn("break.glass@example.edu", localAdmin.password)).toMatchObject({
        ok: true,
      });
      // Nothing counted against the person, nothing disabled.
      const ada = (await account("ada.lovelace@example.edu"))!;
      expect(ada.status).toBe("active");
      const { failures } = await getThrottle(
        database.db,
        "password:account",
        "ada.lovelace@example.edu",
      );
      expect(failures).toBe(failuresBefore);
    } finally {
      await directory.start();
    }
    expect(
      await signIn("ada.lovelace@example.edu", directoryPassword("ada.lovelace")),
    ).toMatchObject({ ok: true });
  });
});
