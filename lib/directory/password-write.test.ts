import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Agent } from "@/lib/admin/agent-rules";
import { resetPassword } from "@/lib/admin/account-actions";
import {
  changePassword,
  DIRECTORY_UNAVAILABLE,
  type PasswordChangeOptions,
} from "@/lib/auth/password-change";
import {
  answerPasswordReset,
  beginPasswordReset,
  completePasswordReset,
  getPasswordReset,
} from "@/lib/auth/password-reset";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { createSession, resolveSession } from "@/lib/auth/sessions";
import { clock } from "@/lib/clock";
import { auditLog, sessions, users } from "@/lib/db/schema";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { totpCode } from "@/lib/mfa/totp";
import { hashToken } from "@/lib/security/tokens";
import { pinClock } from "@/lib/testing/clock";
import { directoryPassword, personDn, type TestDirectory } from "@/lib/testing/directory";
import { changeSettings } from "@/lib/testing/settings";
import type { TestDatabase } from "@/lib/testing/test-database";
import { setUpDirectoryTests } from "@/lib/testing/directory-tests";

// New passwords of people of the directory go to the directory (issue #17), against a real
// OpenLDAP server whose password policy (lib/testing/fixtures/directory.ldif) wants at least 12
// characters and none of the last two: Factor stores nothing, and a refusal changes nothing.

const context = { ip: "198.51.100.61", userAgent: "vitest" };
const setup = setUpDirectoryTests();
let directory: TestDirectory;
let database: TestDatabase;
let admin: Agent;
beforeAll(() => {
  ({ directory, database } = setup);
  admin = {
    id: setup.breakGlass.id,
    email: "break.glass@example.edu",
    displayName: "Break Glass",
    role: "admin",
    sessionId: "session-of-break-glass",
  };
});
beforeEach(() => {
  pinClock();
});

const signIn = (uid: string, password: string) =>
  verifyPasswordStep(
    database.db,
    { email: `${uid}@example.edu`, password, callbackPath: "/" },
    context,
  );

/** A person of the directory with an account in Factor (made by a first sign-in) and a session. */
async function signedIn(uid: string, password = directoryPassword(uid)) {
  expect(await signIn(uid, password)).toMatchObject({ ok: true });
  const [row] = await database.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.email, `${uid}@example.edu`));
  const token = await createSession(database.db, {
    userId: row!.id,
    aal: 2,
    methods: ["pwd", "otp"],
    authenticatedAt: clock.now(),
    secondFactorAt: clock.now(),
    persistent: false,
    ...context,
  });
  return { id: row!.id, token };
}

function options(token: string, via: PasswordChangeOptions["via"] = "secure_account") {
  return {
    via,
    signOutOthers: true,
    session: {
      id: hashToken(token),
      methods: ["pwd", "otp"],
      secondFactorAt: clock.now(),
      persistent: false,
    },
    callbackPath: "/",
  } satisfies PasswordChangeOptions;
}

const change = (userId: string, token: string, current: string, next: string) =>
  changePassword(
    database.db,
    userId,
    { currentPassword: current, newPassword: next, confirmPassword: next },
    context,
    options(token),
  );

async function stored(userId: string) {
  const [row] = await database.db
    .select({
      passwordHash: users.passwordHash,
      mustChangePassword: users.mustChangePassword,
      passwordChangedAt: users.passwordChangedAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  return row!;
}

async function changes(userId: string) {
  return database.db
    .select({ details: auditLog.details })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.subjectId, userId),
        eq(auditLog.action, "auth.password.changed"),
        eq(auditLog.outcome, "success"),
      ),
    );
}

describe("changing the password in Secure your account", () => {
  const uid = "ada.lovelace";
  const first = "lantern orchard quietly";
  const second = "copper kettle meadow";

  it("writes it to the directory: the new password binds, the old one no longer does", async () => {
    const ada = await signedIn(uid);
    const result = await change(ada.id, ada.token, directoryPassword(uid), first);
    expect(result).toMatchObject({ ok: true, sessionsEnded: 1 });

    expect(await directory.whoami(personDn(uid), first)).toBe(true);
    expect(await directory.whoami(personDn(uid), directoryPassword(uid))).toBe(false);
    // Factor keeps nothing of it, and the session that asked ended with the old password.
    expect((await stored(ada.id)).passwordHash).toBeNull();
    expect(await resolveSession(database.db, ada.token)).toBeNull();
    expect(await changes(ada.id)).toEqual([
      { details: expect.objectContaining({ via: "secure_account", writtenTo: "directory" }) },
    ]);
    // And the sign-in takes the new one.
    expect(await signIn(uid, first)).toMatchObject({ ok: true });
  });

  it("shows the directory's own words when its policy refuses, and changes nothing", async () => {
    const session = await signedIn(uid, first);
    const before = await stored(session.id);

    // Long enough for Factor (8), too short for the directory (12).
    const short = await change(session.id, session.token, first, "tiny-secret");
    expect(short).toEqual({
      ok: false,
      fieldErrors: {
        newPassword: expect.stringMatching(/^The directory refused this password: .*quality/i),
      },
    });
    expect(await directory.whoami(personDn(uid), first)).toBe(true);
    expect(await directory.whoami(personDn(uid), "tiny-secret")).toBe(false);
    expect(await resolveSession(database.db, session.token)).not.toBeNull();
    expect(await stored(session.id)).toEqual(before);
    expect(await changes(session.id)).toHaveLength(1);

    // A password the policy takes still goes through after the refusal …
    expect(await change(session.id, session.token, first, second)).toMatchObject({ ok: true });
    expect(await directory.whoami(personDn(uid), second)).toBe(true);

    // … but not back to the one before: Factor cannot know it, the directory's history does.
    const again = await signedIn(uid, second);
    const old = await change(again.id, again.token, second, first);
    expect(old).toEqual({
      ok: false,
      fieldErrors: { newPassword: expect.stringMatching(/^The directory refused.*history/i) },
    });
    expect(await directory.whoami(personDn(uid), second)).toBe(true);
    expect(await directory.whoami(personDn(uid), first)).toBe(false);
    expect(await resolveSession(database.db, again.token)).not.toBeNull();
    expect(await changes(session.id)).toHaveLength(2);
  });

  it("says so when the directory is down, and changes nothing", async () => {
    const session = await signedIn(uid, second);
    await directory.stop();
    try {
      const result = await change(session.id, session.token, second, "another fine passphrase");
      expect(result).toEqual({
        ok: false,
        fieldErrors: { currentPassword: DIRECTORY_UNAVAILABLE },
      });
      expect(await resolveSession(database.db, session.token)).not.toBeNull();
    } finally {
      await directory.start();
    }
    expect(await directory.whoami(personDn(uid), second)).toBe(true);
    expect(await directory.whoami(personDn(uid), "another fine passphrase")).toBe(false);
  });
});

describe("the self-service password reset", () => {
  it("sets the new password in the directory, and it is not one to change again", async () => {
    const uid = "rosalind.franklin";
    await directory.modify(
      [
        `dn: ${personDn(uid)}`,
        "changetype: add",
        "objectClass: inetOrgPerson",
        `uid: ${uid}`,
        "cn: Rosalind Franklin",
        "sn: Franklin",
        `mail: ${uid}@example.edu`,
        `userPassword: ${directoryPassword(uid)}`,
        "",
      ].join("\n"),
    );
    const rosalind = await signedIn(uid);
    await changeSettings(database.db, admin.id, { password_reset_methods: 1 });
    await beginAuthenticatorEnrolment(database.db, rosalind.id, "Phone");
    const pending = await getPendingEnrolment(database.db, rosalind.id, {
      issuer: "Example",
      account: `${uid}@example.edu`,
    });
    const step = Math.floor(clock.ms() / 30_000);
    await confirmAuthenticatorEnrolment(
      database.db,
      rosalind.id,
      await totpCode(pending!.secret, new Date((step - 1) * 30_000 + 1000)),
    );
    const token = await beginPasswordReset(database.db, `${uid}@example.edu`, context);
    const reset = (await getPasswordReset(database.db, token))!;
    expect(
      await answerPasswordReset(
        database.db,
        reset,
        "code",
        await totpCode(pending!.secret, clock.now()),
        context,
      ),
    ).toMatchObject({ ok: true, done: true });

    // Refused by the directory's policy: the reset stays usable.
    const refused = await completePasswordReset(
      database.db,
      token,
      { newPassword: "tiny-secret", confirmPassword: "tiny-secret" },
      context,
    );
    expect(refused).toMatchObject({
      ok: false,
      reason: "password_refused",
      message: expect.stringMatching(/^The directory refused this password/),
    });
    expect(await directory.whoami(personDn(uid), directoryPassword(uid))).toBe(true);

    const chosen = "harbour lights at dusk";
    expect(
      await completePasswordReset(
        database.db,
        token,
        { newPassword: chosen, confirmPassword: chosen },
        context,
      ),
    ).toEqual({ ok: true });
    expect(await directory.whoami(personDn(uid), chosen)).toBe(true);
    expect(await directory.whoami(personDn(uid), directoryPassword(uid))).toBe(false);
    expect(await resolveSession(database.db, rosalind.token)).toBeNull();
    expect((await stored(rosalind.id)).passwordHash).toBeNull();
    // The directory did not mark it as set by an administrator: the next sign-in goes through.
    expect(await signIn(uid, chosen)).toMatchObject({ ok: true });
  });
});

describe("the helpdesk's password reset", () => {
  const uid = "spray.target";

  it("refuses when the directory is down, and changes nothing", async () => {
    const person = await signedIn(uid);
    await directory.stop();
    try {
      const result = await resetPassword(
        database.db,
        admin,
        person.id,
        { reason: "Caller verified by callback", ticket: "INC-17" },
        context,
      );
      expect(result).toMatchObject({
        ok: false,
        reason: "refused",
        message: expect.stringMatching(/did not answer/),
      });
    } finally {
      await directory.start();
    }
    expect(await resolveSession(database.db, person.token)).not.toBeNull();
    expect((await stored(person.id)).mustChangePassword).toBe(false);
    expect(await directory.whoami(personDn(uid), directoryPassword(uid))).toBe(true);
  });

  it("sets a temporary password in the directory, which must then be changed there", async () => {
    const [row] = await database.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, `${uid}@example.edu`));
    const id = row!.id;
    const result = await resetPassword(
      database.db,
      admin,
      id,
      { reason: "Caller verified by callback", ticket: "INC-17" },
      context,
    );
    if (!result.ok) throw new Error(result.message);
    const temporary = result.value.temporaryPassword;

    expect(await directory.whoami(personDn(uid), temporary)).toBe(true);
    expect(await directory.whoami(personDn(uid), directoryPassword(uid))).toBe(false);
    expect(await stored(id)).toMatchObject({ passwordHash: null, mustChangePassword: true });
    expect(
      await database.db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt))),
    ).toEqual([]);

    // Signing in with it works (Factor, not the directory, asks for the change) …
    expect(await signIn(uid, temporary)).toMatchObject({ ok: true });
    const session = await signedIn(uid, temporary);
    const chosen = "window seat on the train";
    const changed = await changePassword(
      database.db,
      id,
      { currentPassword: temporary, newPassword: chosen, confirmPassword: chosen },
      context,
      options(session.token, "required_change"),
    );
    expect(changed).toMatchObject({ ok: true });
    // … and the change lands in the directory.
    expect(await directory.whoami(personDn(uid), chosen)).toBe(true);
    expect(await directory.whoami(personDn(uid), temporary)).toBe(false);
    expect((await stored(id)).mustChangePassword).toBe(false);
  });
});
