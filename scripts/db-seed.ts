import { formatDemoSignIns, seedDemo } from "@/lib/demo/seed";
import { getEnv } from "@/lib/env";
import { openConfiguredDatabase } from "./open-configured-database";

// npm run db:seed — adds the demo organisation's accounts on request, on either database.
const database = await openConfiguredDatabase();
const created = await seedDemo(database.db, getEnv().dataDir);
await database.close();
if (created.length === 0) {
  console.log("The demo accounts already exist; nothing was added.");
} else {
  console.log("Demo sign-ins (role, email, password):");
  console.log(formatDemoSignIns(created));
}
