import { eq } from "drizzle-orm";
import { createRadiusClient } from "@/lib/admin/radius-clients";
import { radiusClients, users } from "@/lib/db/schema";
import { openConfiguredDatabase } from "../open-configured-database";

// Adds the benchmark's RADIUS client for 127.0.0.1 to the bench database before its server opens
// it, as the bench administrator would in the console, in place of the one an earlier run added
// (two clients for one address would each hold a different secret). Prints { secret } as JSON.

const ADDRESS = "127.0.0.1";
const database = await openConfiguredDatabase();
try {
  const [admin] = await database.db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.email, "bench.admin@bench.example.edu"));
  if (!admin) throw new Error("the bench database has no administrator");
  await database.db.delete(radiusClients).where(eq(radiusClients.address, ADDRESS));
  const created = await createRadiusClient(
    database.db,
    { ...admin, role: "admin", sessionId: "bench" },
    { name: "Bench VPN", address: ADDRESS, allowedRoles: null },
    { reason: "Benchmark", ticket: undefined },
    { ip: null, userAgent: null },
  );
  if (!created.ok) throw new Error(created.message);
  console.log(JSON.stringify({ secret: created.secret }));
} finally {
  await database.close();
}
