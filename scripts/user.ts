import { parseArgs } from "node:util";
import { z } from "zod";
import { createUser, newUserSchema } from "@/lib/auth/users";
import { openConfiguredDatabase } from "./open-configured-database";

// npm run user -- create --email E --name N --role R [--no-mfa]

const USAGE = `Usage: npm run user -- create --email EMAIL --name "NAME" --role user|helpdesk|admin [--no-mfa]

Creates an account and prints its generated password once, on a line "password: …".`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    email: { type: "string" },
    name: { type: "string" },
    role: { type: "string", default: "user" },
    "no-mfa": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help || positionals[0] !== "create") {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const input = newUserSchema.safeParse({
  email: values.email,
  displayName: values.name,
  role: values.role,
  mfaRequired: !values["no-mfa"],
});
if (!input.success) {
  console.error(`Cannot create the user:\n${z.prettifyError(input.error)}\n\n${USAGE}`);
  process.exit(2);
}

const database = await openConfiguredDatabase();
try {
  const created = await createUser(database.db, input.data);
  if (created.ok) {
    console.log(`Created ${input.data.role} ${input.data.email}.`);
    console.log(`password: ${created.password}`);
    console.log("This password is shown only now; pass it on securely.");
  } else {
    console.error(`An account with the email ${input.data.email} already exists.`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
