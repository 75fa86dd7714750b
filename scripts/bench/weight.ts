import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { startAppServer } from "../../e2e/support/app-server";
import { buildIfNeeded } from "../build-if-needed";
import { CodeBook, signIn, visit, CookieJar } from "./client";
import { machine } from "./measure";
import { prepareBenchDatabase } from "./seed";

// npm run bench:weight [-- --users N --events N] [--no-lighthouse]
// What each page costs a browser: the JavaScript and CSS it transfers on a first visit with an
// empty cache (compressed bytes on the wire, from headless Chromium), and Lighthouse's
// performance and accessibility scores on desktop and mobile.

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    events: { type: "string", default: "10000" },
    port: { type: "string", default: process.env.BENCH_PORT ?? "4331" },
    query: { type: "string", default: "morgan" },
    "no-lighthouse": { type: "boolean", default: false },
  },
});

const port = Number(args.port);
const base = `http://127.0.0.1:${port}`;
// The browser uses the name the cookies were made for: on localhost they are Secure and
// __Host- prefixed, which a browser accepts there as on https.
const browserBase = `http://localhost:${port}`;
const log = (line: string) => console.log(line);

/** Budgets from issue #7 (kB = 1000 bytes, compressed). */
const BUDGET = { signinJsKb: 120, pageJsKb: 180, performance: 95, accessibility: 100 };

// As playwright.config.ts launches it: Debian's chromium where installed.
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

type Weight = {
  page: string;
  status: number;
  jsTransferred: number;
  jsDecoded: number;
  jsFiles: number;
  cssTransferred: number;
  cssDecoded: number;
  htmlTransferred: number;
  contentEncoding: string;
};

async function pageWeight(pagePath: string, jar: CookieJar | null): Promise<Weight> {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    if (jar) {
      const cookies = jar
        .header()
        .split("; ")
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf("=");
          return {
            name: pair.slice(0, at),
            value: pair.slice(at + 1),
            domain: "localhost",
            path: "/",
            secure: true,
            httpOnly: true,
            sameSite: "Lax" as const,
          };
        });
      await context.addCookies(cookies);
    }
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    const types = new Map<string, { type: string; encoding: string }>();
    const weight: Weight = {
      page: pagePath,
      status: 0,
      jsTransferred: 0,
      jsDecoded: 0,
      jsFiles: 0,
      cssTransferred: 0,
      cssDecoded: 0,
      htmlTransferred: 0,
      contentEncoding: "",
    };
    const decoded = new Map<string, number>();
    cdp.on("Network.responseReceived", (event) => {
      const encoding =
        event.response.headers["content-encoding"] ??
        event.response.headers["Content-Encoding"] ??
        "none";
      types.set(event.requestId, { type: event.type, encoding });
      if (event.type === "Document" && !weight.status) {
        weight.status = event.response.status;
        weight.contentEncoding = encoding;
      }
    });
    cdp.on("Network.dataReceived", (event) => {
      decoded.set(event.requestId, (decoded.get(event.requestId) ?? 0) + event.dataLength);
    });
    cdp.on("Network.loadingFinished", (event) => {
      const info = types.get(event.requestId);
      if (!info) return;
      // encodedDataLength includes the response headers; it is what crossed the wire.
      const bytes = event.encodedDataLength;
      if (info.type === "Script") {
        weight.jsTransferred += bytes;
        weight.jsDecoded += decoded.get(event.requestId) ?? 0;
        weight.jsFiles++;
      } else if (info.type === "Stylesheet") {
        weight.cssTransferred += bytes;
        weight.cssDecoded += decoded.get(event.requestId) ?? 0;
      } else if (info.type === "Document") weight.htmlTransferred += bytes;
    });
    await page.goto(`${browserBase}${pagePath}`, { waitUntil: "networkidle" });
    await context.close();
    return weight;
  } finally {
    await browser.close();
  }
}

type Scores = {
  page: string;
  formFactor: "desktop" | "mobile";
  performance: number;
  accessibility: number;
  lcpMs: number;
  tbtMs: number;
  cls: number;
};

async function lighthouseScores(pagePath: string, jar: CookieJar | null): Promise<Scores[]> {
  const chrome = await chromeLauncher.launch({
    chromePath: executablePath,
    chromeFlags: ["--headless=new", ...CHROMIUM_ARGS],
  });
  try {
    const scores: Scores[] = [];
    for (const formFactor of ["desktop", "mobile"] as const) {
      const result = await lighthouse(
        `${browserBase}${pagePath}`,
        {
          port: chrome.port,
          output: "json",
          logLevel: "error",
          onlyCategories: ["performance", "accessibility"],
          // Keep the session cookie: Lighthouse would otherwise clear storage first.
          ...(jar ? { extraHeaders: { Cookie: jar.header() } } : {}),
        },
        formFactor === "desktop" ? desktopConfig : undefined,
      );
      const lhr = result!.lhr;
      if (lhr.finalDisplayedUrl && !lhr.finalDisplayedUrl.includes(pagePath.split("?")[0]!))
        throw new Error(`Lighthouse ended on ${lhr.finalDisplayedUrl}, not ${pagePath}`);
      const audit = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
      scores.push({
        page: pagePath,
        formFactor,
        performance: Math.round((lhr.categories.performance?.score ?? 0) * 100),
        accessibility: Math.round((lhr.categories.accessibility?.score ?? 0) * 100),
        lcpMs: Math.round(audit("largest-contentful-paint")),
        tbtMs: Math.round(audit("total-blocking-time")),
        cls: Math.round(audit("cumulative-layout-shift") * 1000) / 1000,
      });
      const failing = Object.values(lhr.audits)
        .filter(
          (a) =>
            a.score !== null &&
            a.score < 1 &&
            lhr.categories.accessibility?.auditRefs.some((r) => r.id === a.id && r.weight > 0),
        )
        .map((a) => a.id);
      if (failing.length)
        log(`    accessibility audits not passed on ${pagePath}: ${failing.join(", ")}`);
    }
    return scores;
  } finally {
    chrome.kill();
  }
}

const kb = (bytes: number) => Math.round(bytes / 100) / 10;

async function main() {
  if (!buildIfNeeded(log)) throw new Error("next build failed");
  const state = await prepareBenchDatabase({
    scale: { users: Number(args.users), events: Number(args.events) },
    signers: 10,
    postgresUrl: process.env.DATABASE_URL || undefined,
    log,
  });
  const server = await startAppServer({
    port,
    dataDir: state.dataDir,
    env: {
      DATABASE_URL: state.databaseUrl ?? "",
      SEED_DEMO: "false",
      AUTH_SECRET: state.authSecret,
      SEALING_KEYS: state.sealingKeys,
      SIGN_IN_RETENTION_DAYS: "3650",
    },
  });
  try {
    const codes = new CodeBook();
    const reader = await signIn(base, state.reader, state.password, codes);
    const admin = await signIn(base, state.admin, state.password, codes);
    const pages: { path: string; jar: CookieJar | null; lighthouse: boolean }[] = [
      { path: "/signin", jar: null, lighthouse: true },
      { path: "/security-info", jar: reader, lighthouse: true },
      { path: "/sign-ins", jar: reader, lighthouse: true },
      { path: `/admin/users?q=${encodeURIComponent(args.query)}`, jar: admin, lighthouse: false },
    ];
    // The pages must be what they claim before they are weighed.
    for (const page of pages) {
      const answer = await visit(base, page.path, page.jar ?? new CookieJar());
      if (answer.status !== 200)
        throw new Error(`${page.path} answered ${answer.status} ${answer.location}`);
    }

    const weights: Weight[] = [];
    for (const page of pages) {
      const weight = await pageWeight(page.path, page.jar);
      log(
        `  ${page.path}: JS ${kb(weight.jsTransferred)} kB transferred (${kb(weight.jsDecoded)} kB decoded, ${weight.jsFiles} files), CSS ${kb(weight.cssTransferred)} kB, HTML ${kb(weight.htmlTransferred)} kB (${weight.contentEncoding})`,
      );
      weights.push(weight);
    }
    const scores: Scores[] = [];
    if (!args["no-lighthouse"]) {
      for (const page of pages.filter((p) => p.lighthouse)) {
        for (const score of await lighthouseScores(page.path, page.jar)) {
          log(
            `  Lighthouse ${score.formFactor} ${score.page}: performance ${score.performance}, accessibility ${score.accessibility}, LCP ${score.lcpMs} ms, TBT ${score.tbtMs} ms, CLS ${score.cls}`,
          );
          scores.push(score);
        }
      }
    }

    const lines = [
      `Page weight, ${new Date().toISOString()}: first visit, empty cache, headless Chromium; bytes as transferred (compressed; kB = 1000 bytes).`,
      "",
      "| page | JS transferred kB | JS decoded kB | CSS transferred kB | HTML kB | encoding | JS budget | met |",
      "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
      ...weights.map((w) => {
        const budget = w.page === "/signin" ? BUDGET.signinJsKb : BUDGET.pageJsKb;
        return `| ${w.page} | ${kb(w.jsTransferred)} | ${kb(w.jsDecoded)} | ${kb(w.cssTransferred)} | ${kb(w.htmlTransferred)} | ${w.contentEncoding} | < ${budget} | ${kb(w.jsTransferred) < budget ? "yes" : "no"} |`;
      }),
    ];
    if (scores.length) {
      lines.push(
        "",
        "| page | form factor | performance | accessibility | LCP ms | TBT ms | CLS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ...scores.map(
          (s) =>
            `| ${s.page} | ${s.formFactor} | ${s.performance} | ${s.accessibility} | ${s.lcpMs} | ${s.tbtMs} | ${s.cls} |`,
        ),
      );
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    mkdirSync("bench-results", { recursive: true });
    const file = path.join("bench-results", `${stamp}-weight.json`);
    writeFileSync(file, JSON.stringify({ machine: machine(), weights, scores }, null, 2));
    writeFileSync(file.replace(/\.json$/, ".md"), lines.join("\n") + "\n");
    log("");
    log(lines.join("\n"));
    log(`\nWritten ${file} and its .md.`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
