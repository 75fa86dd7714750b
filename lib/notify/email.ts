// Email rendering: every message has a plain-text part and an HTML part built from the same
// pieces. Values come from people and networks (names, user agents, ISP names: R-A14.3), so the
// HTML escapes every one of them; nothing here produces a link.

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export type EmailContent = {
  /** Sender line at the top, e.g. the organisation's name. */
  organisation: string;
  /** Subject, repeated as the heading. */
  title: string;
  greeting: string;
  /** Paragraphs that say what happened. */
  paragraphs: string[];
  /** Label and value pairs (when, where, device). */
  facts: [label: string, value: string][];
  /** Sections of advice, each a heading and its paragraphs. */
  sections: { heading: string; paragraphs: string[] }[];
  signature: string;
};

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/** The plain-text and HTML bodies of one email. */
export function renderEmail(content: EmailContent): { text: string; html: string } {
  const text = [
    content.greeting,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...content.facts.map(([label, value]) => `${label}: ${value}`),
    "",
    ...content.sections.flatMap((s) => [s.heading, ...s.paragraphs, ""]),
    content.signature,
  ].join("\n");

  const e = escapeHtml;
  const paragraph = (p: string) => `<p style="margin:0 0 16px">${e(p)}</p>`;
  const facts = content.facts
    .map(
      ([label, value]) =>
        `<tr><th scope="row" style="text-align:left;vertical-align:top;padding:4px 16px 4px 0;font-weight:600">${e(label)}</th>` +
        `<td style="padding:4px 0;word-break:break-word">${e(value)}</td></tr>`,
    )
    .join("");
  const sections = content.sections
    .map(
      (s) =>
        `<h2 style="font-size:16px;margin:24px 0 8px">${e(s.heading)}</h2>${s.paragraphs.map(paragraph).join("")}`,
    )
    .join("");
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${e(content.title)}</title></head>` +
    `<body style="margin:0;padding:24px;background:#f1f5f9;color:#0f172a;${FONT};font-size:15px;line-height:1.5">` +
    `<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">` +
    `<p style="margin:0 0 8px;font-weight:600;color:#334155">${e(content.organisation)}</p>` +
    `<h1 style="font-size:20px;margin:0 0 16px">${e(content.title)}</h1>` +
    paragraph(content.greeting) +
    content.paragraphs.map(paragraph).join("") +
    `<table style="border-collapse:collapse;margin:0 0 8px">${facts}</table>` +
    sections +
    `<p style="margin:24px 0 0">${e(content.signature)}</p>` +
    `</div></body></html>`;
  return { text, html };
}
