import { createUser, newUserSchema } from "@/lib/auth/users";
import { openConfiguredDatabase } from "../../scripts/open-configured-database";

// Creates several accounts in one process, through the same createUser as `npm run user --
// create`: a new process per account would spend most of its time starting up. Reads a JSON
// array of { email, displayName, role } on stdin and prints the passwords as JSON.

const input = JSON.parse(await new Response(process.stdin as never).text()) as unknown[];
const database = await openConfiguredDatabase();
try {
  const created: { email: string; password: string }[] = [];
  for (const entry of input) {
    const account = newUserSchema.parse(entry);
    const result = await createUser(database.db, account);
    if (!result.ok) throw new Error(`${account.email}: ${result.reason}`);
    created.push({ email: account.email, password: result.password });
  }
  console.log(JSON.stringify(created));
} finally {
  await database.close();
}
