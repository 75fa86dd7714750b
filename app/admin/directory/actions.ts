"use server";

import { redirect } from "next/navigation";
import { requireAgentAction } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getDirectoryConfig } from "@/lib/directory/config";
import { runDirectorySync } from "@/lib/directory/sync";

const HERE = "/admin/directory";

async function sync(dryRun: boolean): Promise<never> {
  // Administrators only, with a fresh second factor: a sync can disable accounts.
  const agent = await requireAgentAction(HERE, { adminOnly: true });
  const config = getDirectoryConfig();
  if (!config) redirect(HERE);
  const result = await runDirectorySync(await getDb(), config, {
    dryRun,
    requestedBy: agent.id,
  });
  redirect(result ? HERE : `${HERE}?busy=1`);
}

/** "Sync now": one sync, its changes made. */
export async function syncDirectoryAction(): Promise<void> {
  await sync(false);
}

/** "Dry run": what a sync would change, listed, nothing changed. */
export async function dryRunDirectorySyncAction(): Promise<void> {
  await sync(true);
}
