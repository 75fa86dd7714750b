import { spawn } from "node:child_process";

// Drives Factor's RADIUS server with FreeRADIUS's own client, as a VPN would: Debian's
// freeradius-utils (`radclient`), installed by .ci/run. For tests only.

export type RadclientReply = {
  /** "Access-Accept", "Access-Reject", "Access-Challenge", or null when no answer came. */
  code: string | null;
  replyMessage: string | null;
  /** The State to send back, as radclient prints it (0x…). */
  state: string | null;
  output: string;
};

/** A value as radclient reads it: a quoted string, or 0x… octets as they are. */
function attributeValue(value: string): string {
  if (/^0x[0-9a-f]*$/i.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Sends one Access-Request to `server` with `attributes`, retrying as radclient does (`retries`
 * sends `timeoutSeconds` apart, each the same packet), and reads the answer.
 */
export function radclient(
  server: string,
  secret: string,
  attributes: Record<string, string>,
  { timeoutSeconds = 3, retries = 1 }: { timeoutSeconds?: number; retries?: number } = {},
): Promise<RadclientReply> {
  const input = Object.entries(attributes)
    .map(([name, value]) => `${name} = ${attributeValue(value)}`)
    .join(", ");
  return new Promise((resolve, reject) => {
    const child = spawn(
      "radclient",
      ["-x", "-t", String(timeoutSeconds), "-r", String(retries), server, "auth", secret],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    // radclient may exit before reading its input (a usage error): its output then says why.
    child.stdin.on("error", () => {});
    child.on("close", () => {
      const code = /Received (Access-\w+) Id/.exec(output)?.[1] ?? null;
      const replyMessage = /Reply-Message = "((?:[^"\\]|\\.)*)"/.exec(output)?.[1] ?? null;
      const state = /State = (0x[0-9a-f]+)/i.exec(output)?.[1] ?? null;
      resolve({ code, replyMessage, state, output });
    });
    child.stdin.end(`${input}\n`);
  });
}
