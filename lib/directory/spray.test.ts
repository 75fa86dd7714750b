import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { pinClock } from "@/lib/testing/clock";
import { directoryPassword, personDn, type TestDirectory } from "@/lib/testing/directory";
import { setUpDirectoryTests } from "@/lib/testing/directory-tests";
import type { TestDatabase } from "@/lib/testing/test-database";

// A password spray through Factor — a few guesses at each of many accounts, from one address —
// reaches the directory no more often than Factor's own throttles allow, and locks no one there
// (R-A21.3). The fixture's directory locks a person after 5 wrong binds.

const IP_FAILURE_THRESHOLD = 10;
// More wrong guesses at each person than the directory's own lockout allows.
const ROUNDS = 6;
const PEOPLE = [
  "ada.lovelace",
  "grace.hopper",
  "alan.turing",
  "old.expired",
  "new.starter",
  "gone.away",
  "spray.target",
];
const setup = setUpDirectoryTests({ IP_FAILURE_THRESHOLD: String(IP_FAILURE_THRESHOLD) });
let directory: TestDirectory;
let database: TestDatabase;
beforeAll(() => {
  ({ directory, database } = setup);
});
beforeEach(() => {
  pinClock();
});

const peopleBinds = () =>
  directory.binds().filter((dn) => PEOPLE.some((uid) => dn === personDn(uid))).length;

/** The people whose own password binds in the directory (checked with ldapwhoami). */
async function peopleWhoBind(): Promise<string[]> {
  const binding = [];
  for (const uid of PEOPLE)
    if (await directory.whoami(personDn(uid), directoryPassword(uid))) binding.push(uid);
  return binding;
}

describe("a password spray through Factor", () => {
  it("stops reaching the directory at Factor's limit for the address, and locks no one there", async () => {
    const context = { ip: "203.0.113.200", userAgent: "spray" };
    // Some of the fixture's people are locked or expired in the directory already.
    const bindingBefore = await peopleWhoBind();
    expect(bindingBefore.length).toBeGreaterThanOrEqual(3);
    const before = peopleBinds();
    const answers = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const uid of PEOPLE) {
        answers.push(
          await verifyPasswordStep(
            database.db,
            { email: `${uid}@example.edu`, password: `Spring2026-${round}`, callbackPath: "/" },
            context,
          ),
        );
      }
    }
    expect(answers).toHaveLength(ROUNDS * PEOPLE.length);
    expect(answers.every((answer) => !answer.ok)).toBe(true);
    // The directory heard only the guesses before the address was stopped.
    const heard = peopleBinds() - before;
    expect(heard).toBeGreaterThan(0);
    expect(heard).toBeLessThanOrEqual(IP_FAILURE_THRESHOLD);
    // Everyone whose own password worked in the directory still can: no one was locked there.
    expect(await peopleWhoBind()).toEqual(bindingBefore);
  });
});
