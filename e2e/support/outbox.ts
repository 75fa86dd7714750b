import { expect, type Locator, type Page } from "@playwright/test";

// Reads /dev/outbox the way a person would: the list "Messages", newest first; each item a
// heading "<channel> to <recipient>", a time, an optional "Subject: …" line and the body quoted.
// Each read opens its own tab, so the page under test stays where it is.

export type OutboxChannel = "Email" | "SMS" | "Call";

export type OutboxMessage = {
  channel: OutboxChannel;
  recipient: string;
  subject: string | null;
  body: string;
};

export type OutboxFilter = {
  channel?: OutboxChannel;
  recipient?: string;
  subject?: string | RegExp;
  body?: string | RegExp;
};

async function readItem(item: Locator): Promise<OutboxMessage> {
  const heading = (await item.getByRole("heading", { level: 2 }).innerText()).trim();
  const [channel, recipient] = heading.split(/ to (.+)/s) as [OutboxChannel, string];
  const subjectLine = item.getByRole("paragraph").filter({ hasText: /^Subject:/ });
  const subject =
    (await subjectLine.count()) > 0
      ? (await subjectLine.innerText()).replace(/^Subject:\s*/, "").trim()
      : null;
  const body = await item.getByRole("blockquote").innerText();
  return { channel, recipient, subject, body };
}

function matches(message: OutboxMessage, filter: OutboxFilter): boolean {
  const test = (value: string | null, want: string | RegExp | undefined) =>
    want === undefined ||
    (value !== null && (typeof want === "string" ? value.includes(want) : want.test(value)));
  return (
    (!filter.channel || message.channel === filter.channel) &&
    (!filter.recipient || message.recipient === filter.recipient) &&
    test(message.subject, filter.subject) &&
    test(message.body, filter.body)
  );
}

/** Every message on /dev/outbox matching the filter, newest first. */
export async function readOutbox(page: Page, filter: OutboxFilter = {}): Promise<OutboxMessage[]> {
  const tab = await page.context().newPage();
  try {
    await tab.goto("/dev/outbox");
    const items = tab.getByRole("list", { name: "Messages" }).getByRole("listitem");
    const messages: OutboxMessage[] = [];
    for (const item of await items.all()) messages.push(await readItem(item));
    return messages.filter((message) => matches(message, filter));
  } finally {
    await tab.close();
  }
}

/** The newest matching message, waiting for one to arrive. */
export async function latestMessage(page: Page, filter: OutboxFilter = {}): Promise<OutboxMessage> {
  let latest: OutboxMessage | undefined;
  await expect
    .poll(async () => (latest = (await readOutbox(page, filter))[0]) !== undefined, {
      message: `a message matching ${JSON.stringify(filter)}`,
    })
    .toBe(true);
  return latest!;
}

/**
 * Runs `action` (e.g. "Send code") and returns the message it caused: the newest matching one,
 * once there is one more than before.
 */
export async function waitForNewMessage(
  page: Page,
  filter: OutboxFilter,
  action: () => Promise<void>,
): Promise<OutboxMessage> {
  const before = (await readOutbox(page, filter)).length;
  await action();
  let messages: OutboxMessage[] = [];
  await expect
    .poll(async () => (messages = await readOutbox(page, filter)).length, {
      message: `a new message matching ${JSON.stringify(filter)}`,
    })
    .toBeGreaterThan(before);
  return messages[0]!;
}

/** The code in a text message, e.g. "…code is 123456". */
export function codeIn(message: OutboxMessage): string {
  const code = /\b(\d{6})\b/.exec(message.body)?.[1];
  if (!code) throw new Error(`no code in: ${message.body}`);
  return code;
}

/** Answers the newest ringing call to `recipient` on /dev/outbox: "#" or "Decline". */
export async function answerCall(page: Page, recipient: string, answer: "#" | "decline") {
  const tab = await page.context().newPage();
  try {
    await tab.goto("/dev/outbox");
    const call = tab
      .getByRole("list", { name: "Messages" })
      .getByRole("listitem")
      .filter({ has: tab.getByRole("heading", { level: 2, name: `Call to ${recipient}` }) })
      .filter({ has: tab.getByRole("button", { name: "Decline" }) })
      .first();
    await call
      .getByRole("button", { name: answer === "#" ? "Answer and press #" : "Decline" })
      .click();
    await expect(
      tab
        .getByRole("status")
        .filter({ hasText: answer === "#" ? "Answered" : "Declined" })
        .first(),
    ).toBeVisible();
  } finally {
    await tab.close();
  }
}
