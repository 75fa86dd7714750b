import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

// A throwaway OpenLDAP server for one test file: a temporary folder with a generated slapd.conf
// (mdb, the password-policy overlay), loaded with slapadd from an LDIF of test people, listening
// on a free port of 127.0.0.1, removed afterwards. The system's own slapd is never touched.

const run = promisify(execFile);
const SLAPD = "/usr/sbin/slapd";
const FIXTURE = path.join(import.meta.dirname, "fixtures", "directory.ldif");

export const TEST_DIRECTORY = {
  baseDn: "dc=example,dc=edu",
  peopleDn: "ou=people,dc=example,dc=edu",
  serviceDn: "cn=factor,ou=services,dc=example,dc=edu",
  servicePassword: "factor-service-pass",
  adminDn: "cn=admin,dc=example,dc=edu",
  adminPassword: "directory-admin-pass",
  helpdeskGroupDn: "cn=helpdesk,ou=groups,dc=example,dc=edu",
  adminGroupDn: "cn=factor-admins,ou=groups,dc=example,dc=edu",
} as const;

/** A test person's directory password (see the fixture's header). */
export const directoryPassword = (uid: string) => `${uid}-directory-pass`;
/** A test person's DN. */
export const personDn = (uid: string) => `uid=${uid},${TEST_DIRECTORY.peopleDn}`;

export type TestDirectory = {
  url: string;
  /** The LDAP_* settings that point Factor at this server. */
  settings: Record<string, string>;
  /** The DNs of every simple bind the server was asked for so far, in order. */
  binds(): string[];
  /** Changes entries as the directory's administrator (LDIF with changetype lines). */
  modify(ldif: string): Promise<void>;
  /** True when `password` binds as `dn` (checked with ldapwhoami, not Factor's client). */
  whoami(dn: string, password: string): Promise<boolean>;
  /** Stops the server, keeping its data: the directory is down until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until 127.0.0.1:`port` accepts a connection, for up to 10 seconds. */
async function untilListening(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`slapd is not listening on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function config(folder: string, maxBytes: number): string {
  const d = TEST_DIRECTORY;
  return [
    "include /etc/ldap/schema/core.schema",
    "include /etc/ldap/schema/cosine.schema",
    "include /etc/ldap/schema/inetorgperson.schema",
    "modulepath /usr/lib/ldap",
    "moduleload back_mdb",
    "moduleload ppolicy",
    `pidfile ${folder}/slapd.pid`,
    "database mdb",
    `maxsize ${maxBytes}`,
    `suffix "${d.baseDn}"`,
    `rootdn "${d.adminDn}"`,
    `rootpw ${d.adminPassword}`,
    `directory ${folder}/data`,
    // As an organisation would: the service account pages through every person.
    `limits dn.exact="${d.serviceDn}" size.prtotal=unlimited`,
    "overlay ppolicy",
    `ppolicy_default "cn=default,ou=policies,${d.baseDn}"`,
    "ppolicy_use_lockout",
    "ppolicy_hash_cleartext",
    // The service account writes passwords for resets, and clears the reset mark after them.
    `access to attrs=userPassword by self write by dn.exact="${d.serviceDn}" write by anonymous auth by * none`,
    `access to attrs=pwdReset by dn.exact="${d.serviceDn}" write by * none`,
    `access to * by dn.exact="${d.serviceDn}" read by self read by * none`,
    "",
  ].join("\n");
}

/**
 * Starts a directory loaded from the test LDIF, and from `moreEntries` (an LDIF file) when given:
 * slapadd loads a large one far faster than adds over the network. `dispose` stops it and removes
 * its folder.
 */
export async function startTestDirectory(
  options: { moreEntries?: string } = {},
): Promise<TestDirectory> {
  const folder = mkdtempSync(path.join(tmpdir(), "factor-slapd-"));
  const conf = path.join(folder, "slapd.conf");
  writeFileSync(conf, config(folder, options.moreEntries ? 4 * 2 ** 30 : 32 * 2 ** 20));
  mkdirSync(path.join(folder, "data"));
  await run("/usr/sbin/slapadd", ["-q", "-f", conf, "-l", FIXTURE]);
  if (options.moreEntries)
    await run("/usr/sbin/slapadd", ["-q", "-f", conf, "-l", options.moreEntries], {
      maxBuffer: 64 * 2 ** 20,
    });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const binds: string[] = [];
  let server: ChildProcess | null = null;

  const start = async () => {
    // -d stats keeps slapd in the foreground and logs each operation, binds among them.
    const child = spawn(SLAPD, ["-f", conf, "-h", `${url}/`, "-d", "stats"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    server = child;
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`slapd did not start:\n${log}`)), 10_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`slapd exited (${code}):\n${log}`));
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        for (const match of chunk.toString().matchAll(/ BIND dn="([^"]*)" method=128/g))
          binds.push(match[1]!);
        if (log.includes("slapd starting")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // "slapd starting" can come a moment before the port accepts connections (about one restart
    // in ten here): a test that stops and restarts the directory would meet it still down.
    await untilListening(port);
  };
  const stop = async () => {
    const child = server;
    server = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  };
  await start();

  const d = TEST_DIRECTORY;
  return {
    url,
    settings: {
      LDAP_URL: url,
      LDAP_ALLOW_PLAIN: "true",
      LDAP_BIND_DN: d.serviceDn,
      LDAP_BIND_PASSWORD: d.servicePassword,
      LDAP_BASE_DN: d.peopleDn,
      LDAP_PEOPLE_FILTER: "(objectClass=inetOrgPerson)",
      LDAP_LOGIN_ATTRIBUTE: "uid",
      LDAP_ID_ATTRIBUTE: "entryUUID",
      LDAP_HELPDESK_GROUP: d.helpdeskGroupDn,
      LDAP_ADMIN_GROUP: d.adminGroupDn,
      LDAP_TIMEOUT_SECONDS: "2",
    },
    binds: () => [...binds],
    async modify(ldif) {
      const child = execFile("/usr/bin/ldapmodify", [
        "-x",
        "-H",
        url,
        "-D",
        d.adminDn,
        "-w",
        d.adminPassword,
      ]);
      const done = new Promise<void>((resolve, reject) =>
        child.once("exit", (code) =>
          code === 0 ? resolve() : reject(new Error(`ldapmodify exited ${code}`)),
        ),
      );
      child.stdin!.end(ldif);
      await done;
    },
    async whoami(dn, password) {
      try {
        await run("/usr/bin/ldapwhoami", ["-x", "-H", url, "-D", dn, "-w", password]);
        return true;
      } catch {
        return false;
      }
    },
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
