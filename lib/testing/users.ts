import type { Db } from "@/lib/db/client";
import { createUser, type NewUserInput } from "@/lib/auth/users";

/** Creates an account for a test; an email that is taken is a mistake in the test. */
export async function createTestUser(
  db: Db,
  input: NewUserInput,
): Promise<{ id: string; password: string }> {
  const created = await createUser(db, input);
  if (!created.ok) throw new Error(`${input.email}: ${created.reason}`);
  return { id: created.id, password: created.password };
}
