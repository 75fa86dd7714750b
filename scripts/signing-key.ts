import { rotateSigningKey, loadSigningKeys } from "@/lib/oidc/signing-keys";
import { openConfiguredDatabase } from "./open-configured-database";

// npm run signing-key -- rotate | list

const USAGE = `Usage: npm run signing-key -- rotate | list

rotate  makes a new key for signing apps' ID tokens; every instance signs with it from its next
        start. The old key stays published for a day, so tokens it signed still verify.
list    shows the published keys' ids, the signing key first.`;

const command = process.argv[2];
if (command !== "rotate" && command !== "list") {
  console.log(USAGE);
  process.exit(command === "--help" || command === "-h" ? 0 : 2);
}

const database = await openConfiguredDatabase();
try {
  if (command === "rotate") {
    const kid = await rotateSigningKey(database.db);
    console.log(`New signing key ${kid}. Restart every instance to sign with it.`);
  }
  const keys = await loadSigningKeys(database.db);
  console.log(`Published keys: ${keys.map((key) => key.kid).join(", ")}`);
} finally {
  await database.close();
}
