import { getDatabase, type Database } from "@/lib/db/client";
import { migrateDatabase } from "@/lib/db/migrate";
import { DataFolderInUseError } from "@/lib/db/data-folder-lock";
import { ConfigError } from "@/lib/env";

/** Opens and migrates the configured database for an operator command, or exits with a reason. */
export async function openConfiguredDatabase(): Promise<Database> {
  try {
    const database = await getDatabase();
    await migrateDatabase(database);
    return database;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataFolderInUseError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
