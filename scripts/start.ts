import { acquireDataFolderLock } from "@/lib/db/data-folder-lock";
import { getEnv } from "@/lib/env";
import { reportStartFailure, startServer } from "../server";
import { buildIfNeeded } from "./build-if-needed";

// `npm start`: build when the sources are newer than the last build, then serve.
try {
  const env = getEnv();
  // Refuse a second process before touching the build that a first one may be serving.
  if (env.embedded) acquireDataFolderLock(env.dataDir);
  if (!buildIfNeeded()) {
    console.error("The build failed; see the messages above.");
    process.exit(1);
  }
  await startServer();
} catch (error) {
  reportStartFailure(error);
}
