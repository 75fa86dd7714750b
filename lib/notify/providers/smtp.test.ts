import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outbox } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { dispatchDue } from "../dispatcher";
import { queueSecurityNotice } from "../security-notice";
import { providerNameFor } from ".";

// A real SMTP server on a loopback port, and Factor configured to use it through SMTP_URL.

type Received = { from: string; to: string[]; raw: string };
const received: Received[] = [];
/** What the server says to the next RCPT TO; accepted when null. */
let rcptReply: { code: number; text: string } | null = null;

const server = new SMTPServer({
  disabledCommands: ["STARTTLS"],
  allowInsecureAuth: true,
  authMethods: ["PLAIN", "LOGIN"],
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === "factor" && auth.password === "s3cret-pass") {
      callback(null, { user: auth.username });
    } else {
      callback(new Error("Invalid username or password"));
    }
  },
  onRcptTo(_address, _session, callback) {
    if (!rcptReply) return callback();
    const error = new Error(rcptReply.text) as Error & { responseCode: number };
    error.responseCode = rcptReply.code;
    callback(error);
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      received.push({
        from: (session.envelope.mailFrom as SMTPServerAddress).address,
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString("utf8"),
      });
      callback();
    });
  },
});

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  process.env.SMTP_URL = `smtp://factor:s3cret-pass@127.0.0.1:${port}`;
  process.env.SMTP_FROM = "security@example.edu";
  process.env.ORG_NAME = "Example University";
  process.env.PUBLIC_URL = "https://factor.example.edu";
  delete (globalThis as { __factorEnv?: unknown }).__factorEnv;
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The decoded text of one MIME part of a simple message. */
function part(raw: string, type: "text/plain" | "text/html"): string {
  const start = raw.search(new RegExp(`Content-Type: ${type}`, "i"));
  expect(start).toBeGreaterThan(-1);
  const section = raw.slice(start);
  const headerEnd = section.indexOf("\r\n\r\n");
  const headers = section.slice(0, headerEnd);
  const body = section.slice(headerEnd + 4).split(/\r\n--/)[0]!;
  const encoding = /Content-Transfer-Encoding: (\S+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    const bytes = body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8").replace(/\r\n/g, "\n");
  }
  return body.replace(/\r\n/g, "\n");
}

const user = {
  id: crypto.randomUUID(),
  email: "alex.morgan@example.edu",
  displayName: "Alex <b>Morgan</b>",
};

describe("email over SMTP", () => {
  it("is chosen by SMTP_URL", () => {
    expect(providerNameFor("email")).toBe("smtp");
    expect(providerNameFor("sms")).toBe("outbox");
  });

  it("delivers a security notice with its recipient, subject, text and HTML", async () => {
    await database.db.transaction(async (tx) => {
      await queueSecurityNotice(
        tx,
        user,
        "sign_in.risky",
        {
          ip: "81.2.69.160",
          userAgent: "Mozilla/5.0 <script>alert(1)</script>",
          location: "London, United Kingdom",
          device: "Chrome on Windows",
          at: new Date("2026-03-04T05:06:07Z"),
        },
        "The ISP was <i>Evil & Co</i>.",
      );
    });
    expect(await dispatchDue(database.db)).toMatchObject({ sent: 1, failed: 0 });

    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.from).toBe("security@example.edu");
    expect(mail.to).toEqual(["alex.morgan@example.edu"]);
    expect(mail.raw).toMatch(/^Subject: A sign-in from somewhere new\r$/m);
    expect(mail.raw).toMatch(/^From: Example University <security@example.edu>\r$/m);
    expect(mail.raw).toMatch(/^To: alex.morgan@example.edu\r$/m);

    const text = part(mail.raw, "text/plain");
    expect(text).toContain("Hello Alex <b>Morgan</b>,");
    expect(text).toContain(
      "Your account was signed in to from somewhere new. The ISP was <i>Evil & Co</i>.",
    );
    expect(text).toMatch(/When: Wednesday,? 4 March 2026 at 05:06:07 UTC/);
    expect(text).toContain("Where: London, United Kingdom (IP address 81.2.69.160)");
    expect(text).toContain("Device: Chrome on Windows");
    expect(text).toContain("https://factor.example.edu/security-info");
    expect(text).toContain("Example University security");

    const html = part(mail.raw, "text/html");
    expect(html).toContain("<h1");
    expect(html).toContain("Hello Alex &lt;b&gt;Morgan&lt;/b&gt;,");
    expect(html).toContain("The ISP was &lt;i&gt;Evil &amp; Co&lt;/i&gt;.");
    expect(html).toContain("London, United Kingdom (IP address 81.2.69.160)");
    expect(html).not.toMatch(/<(b|i|script)>/);
    // R-A15.3: no link of any kind.
    expect(html).not.toMatch(/<a\s|href=/i);

    const [row] = await database.db.select().from(outbox).where(eq(outbox.recipient, user.email));
    expect(row).toMatchObject({ status: "sent", provider: "smtp" });
    expect(row!.providerMessageId).toMatch(/^<.+@.+>$/);
    expect(mail.raw).toContain(`Message-ID: ${row!.providerMessageId}`);
  });

  it("falls back to the address and raw user agent without location and device", async () => {
    const recipient = "fallback@example.edu";
    await database.db.transaction(async (tx) => {
      await queueSecurityNotice(tx, { ...user, email: recipient }, "password.changed", {
        ip: "192.0.2.10",
        userAgent: "curl/8.0",
      });
    });
    await dispatchDue(database.db);
    const text = part(received.find((m) => m.to.includes(recipient))!.raw, "text/plain");
    expect(text).toContain("Where: IP address 192.0.2.10");
    expect(text).toContain("Device: curl/8.0");
  });

  it("retries a temporary refusal and fails a permanent one, keeping no credential", async () => {
    const sent = received.length;
    rcptReply = { code: 451, text: "Try again later" };
    await database.db.transaction(async (tx) => {
      await queueSecurityNotice(tx, { ...user, email: "later@example.edu" }, "mfa.locked", {
        ip: null,
        userAgent: null,
      });
    });
    expect(await dispatchDue(database.db)).toMatchObject({ sent: 0, retrying: 1 });
    rcptReply = { code: 550, text: "No such user" };
    await database.db.transaction(async (tx) => {
      await queueSecurityNotice(tx, { ...user, email: "nobody@example.edu" }, "mfa.locked", {
        ip: null,
        userAgent: null,
      });
    });
    expect(await dispatchDue(database.db)).toMatchObject({ sent: 0, failed: 1 });
    rcptReply = null;
    expect(received).toHaveLength(sent);
    const rows = await database.db.select().from(outbox);
    const later = rows.find((r) => r.recipient === "later@example.edu")!;
    const nobody = rows.find((r) => r.recipient === "nobody@example.edu")!;
    expect(later).toMatchObject({ status: "pending", attempts: 1 });
    expect(later.lastError).toContain("451");
    expect(nobody).toMatchObject({ status: "failed" });
    expect(nobody.lastError).toContain("550");
    for (const row of [later, nobody]) expect(row.lastError).not.toContain("s3cret-pass");
  });
});
