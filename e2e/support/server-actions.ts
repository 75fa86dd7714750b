import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext, APIResponse } from "@playwright/test";

type ManifestEntry = { filename: string; exportedName: string; workers: Record<string, unknown> };

/** Every server action in the production build, from Next's own manifest. */
export function serverActions(): { id: string; file: string; name: string; page: string }[] {
  const manifest = JSON.parse(
    readFileSync(path.join(".next", "server", "server-reference-manifest.json"), "utf8"),
  ) as { node: Record<string, ManifestEntry> };
  return Object.entries(manifest.node).map(([id, entry]) => {
    const worker = Object.keys(entry.workers)[0]!;
    // "app/(portal)/security-info/page" → "/security-info"
    const page =
      "/" +
      worker
        .replace(/^app\//, "")
        .replace(/\/page$/, "")
        .replace(/\([^)]+\)\/?/g, "")
        .replace(/\/$/, "");
    return {
      id,
      file: entry.filename,
      name: entry.exportedName,
      page: page === "/" ? "/" : page.replace(/\/+$/, ""),
    };
  });
}

/**
 * Calls a server action directly, as a browser without JavaScript submits a form bound to it
 * (the action's id in a `$ACTION_ID_…` field), or — for an action that takes no form — as Next's
 * client does with no arguments. A test can so try any action with any cookies.
 */
export function callServerAction(
  request: APIRequestContext,
  action: { id: string; page: string },
  fields: Record<string, string> | null,
  origin: string,
): Promise<APIResponse> {
  if (fields === null) {
    return request.post(action.page, {
      headers: {
        "Next-Action": action.id,
        Origin: origin,
        "Content-Type": "text/plain;charset=UTF-8",
      },
      data: "[]",
      maxRedirects: 0,
    });
  }
  return request.post(action.page, {
    headers: { Origin: origin },
    multipart: { [`$ACTION_ID_${action.id}`]: "", ...fields },
    maxRedirects: 0,
  });
}

/** Where an action's response sends the browser, whichever way it was called. */
export function redirectOf(response: APIResponse): string {
  return (response.headers()["x-action-redirect"] ?? response.headers().location ?? "").replace(
    /;push$/,
    "",
  );
}
