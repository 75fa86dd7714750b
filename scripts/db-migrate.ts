import { openConfiguredDatabase } from "./open-configured-database";

// npm run db:migrate — applies pending migrations (the server also does this at every start).
const database = await openConfiguredDatabase();
await database.close();
console.log(`Migrations applied (${database.driver}).`);
