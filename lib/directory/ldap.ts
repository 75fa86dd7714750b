import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Client, Control, ResultCodeError } from "ldapts";
import type { DirectoryConfig } from "./config";

// The one file that speaks LDAP (ldapts 8.0). It finds a person with the service account, binds
// as them with the password-policy control, and reads their groups. It decides nothing: what a
// directory answer means for a sign-in is lib/directory/password.ts's business.

/** A person as the directory describes them, in Factor's terms. */
export type DirectoryPerson = {
  dn: string;
  /** The stable id (entryUUID, objectGUID as hex): survives renames and moves. */
  id: string;
  login: string;
  email: string | null;
  displayName: string;
};

/**
 * What a bind as the person said. `held`: the password was right, but the directory keeps the
 * account back — it reports these only after a right password. `locked`: the directory refuses
 * every password of this account, so nothing is known about this one.
 */
export type BindAnswer =
  | { answer: "ok" }
  | { answer: "wrong_password" }
  | { answer: "locked" }
  | { answer: "held"; hold: "password_expired" | "password_must_change" | "disabled" };

/** The directory did not answer, answered too late, or refused the service account. */
export class DirectoryUnavailableError extends Error {}

const PASSWORD_POLICY_OID = "1.3.6.1.4.1.42.2.27.8.5.1";
const PPOLICY_ERRORS = ["passwordExpired", "accountLocked", "changeAfterReset"] as const;

/** The password-policy request control; the server's response is parsed into the same object. */
class PasswordPolicyControl extends Control {
  error: number | null = null;
  constructor() {
    super(PASSWORD_POLICY_OID);
  }
  protected override parseControl(reader: { buffer: Buffer }): void {
    // PasswordPolicyResponseValue ::= SEQUENCE { warning [0] OPTIONAL, error [1] ENUMERATED }
    const bytes = reader.buffer;
    if (bytes[0] !== 0x30) return;
    let offset = 2;
    while (offset + 1 < bytes.length) {
      const tag = bytes[offset]!;
      const length = bytes[offset + 1]!;
      if (tag === 0x81 && length === 1) this.error = bytes[offset + 2]!;
      offset += 2 + length;
    }
  }
}

/** Active Directory's reason in a refused bind ("… data 775, v4563"), mapped to an answer. */
export function activeDirectoryAnswer(message: string): BindAnswer | null {
  const code = /\bdata ([0-9a-f]{3,4})\b/i.exec(message)?.[1]?.toLowerCase();
  switch (code) {
    case undefined:
      return null;
    case "532":
      return { answer: "held", hold: "password_expired" };
    case "773":
      return { answer: "held", hold: "password_must_change" };
    case "530": // not allowed at this time
    case "531": // not allowed from this computer
    case "533": // disabled
    case "701": // account expired
      return { answer: "held", hold: "disabled" };
    case "775":
      return { answer: "locked" };
    default:
      return { answer: "wrong_password" };
  }
}

/** RFC 4515: a value inside a filter, with its special characters escaped. */
export function escapeFilterValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value))
    return [...value].map((byte) => `\\${byte.toString(16).padStart(2, "0")}`).join("");
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Attributes whose values are bytes, not text: ids are kept as hex. */
const BINARY_ID_ATTRIBUTES = new Set(["objectguid", "objectsid"]);

function first(value: unknown): string | null {
  const one = Array.isArray(value) ? value[0] : value;
  if (one === undefined || one === null) return null;
  if (Buffer.isBuffer(one)) return one.toString("hex");
  const text = String(one).trim();
  return text === "" ? null : text;
}

/** One conversation with the directory, bound as the service account. */
export class DirectoryConnection {
  private constructor(
    private readonly client: Client,
    private readonly config: DirectoryConfig,
  ) {}

  /** Connects (StartTLS on ldap:// unless plain is allowed) and binds as the service account. */
  static async open(config: DirectoryConfig): Promise<DirectoryConnection> {
    const tlsOptions: ConnectionOptions | undefined = config.caFile
      ? { ca: readFileSync(config.caFile) }
      : undefined;
    const client = new Client({
      url: config.url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      tlsOptions,
    });
    const connection = new DirectoryConnection(client, config);
    try {
      if (config.startTls) await client.startTLS(tlsOptions ?? {});
      await connection.bindService();
      return connection;
    } catch (error) {
      await connection.close();
      throw unavailable(error);
    }
  }

  private async bindService() {
    await this.client.bind(this.config.bindDn, this.config.bindPassword);
  }

  /** The person whose login name or email is `name`, or whose stable id is `id`; null if none. */
  async findPerson(query: { name: string } | { id: string }): Promise<DirectoryPerson | null> {
    const { attributes: a, peopleFilter } = this.config;
    const match =
      "name" in query
        ? `(|(${a.login}=${escapeFilterValue(query.name)})(${a.email}=${escapeFilterValue(query.name)}))`
        : `(${a.id}=${escapeFilterValue(
            BINARY_ID_ATTRIBUTES.has(a.id.toLowerCase()) ? Buffer.from(query.id, "hex") : query.id,
          )})`;
    try {
      const { searchEntries } = await this.client.search(this.config.baseDn, {
        scope: "sub",
        filter: `(&${peopleFilter}${match})`,
        attributes: [a.id, a.login, a.email, a.givenName, a.surname, a.displayName, "cn"],
        explicitBufferAttributes: BINARY_ID_ATTRIBUTES.has(a.id.toLowerCase()) ? [a.id] : [],
        sizeLimit: 2,
      });
      // Two people answering to one name is the directory's mistake: neither is let in.
      if (searchEntries.length !== 1) return null;
      const entry = searchEntries[0]!;
      const id = first(entry[a.id]);
      const login = first(entry[a.login]);
      if (!id || !login) return null;
      const given = first(entry[a.givenName]);
      const surname = first(entry[a.surname]);
      const displayName =
        first(entry[a.displayName]) ??
        ([given, surname].filter(Boolean).join(" ") || first(entry.cn) || login);
      return { dn: entry.dn, id, login, email: first(entry[a.email]), displayName };
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * Binds as `dn` with `password` and says what the directory answered; the connection is bound
   * as the service account again afterwards.
   */
  async bindAs(dn: string, password: string): Promise<BindAnswer> {
    const policy = new PasswordPolicyControl();
    let answer: BindAnswer;
    try {
      await this.client.bind(dn, password, policy);
      answer =
        policy.error === 2 ? { answer: "held", hold: "password_must_change" } : { answer: "ok" };
    } catch (error) {
      if (!(error instanceof ResultCodeError) || error.code !== 49) {
        if (error instanceof ResultCodeError && error.code === 53) answer = { answer: "locked" };
        else throw unavailable(error);
      } else {
        const name = policy.error === null ? null : PPOLICY_ERRORS[policy.error];
        answer =
          name === "passwordExpired"
            ? { answer: "held", hold: "password_expired" }
            : name === "accountLocked"
              ? { answer: "locked" }
              : (activeDirectoryAnswer(error.message) ?? { answer: "wrong_password" });
      }
    }
    try {
      await this.bindService();
    } catch (error) {
      throw unavailable(error);
    }
    return answer;
  }

  /** Whether `dn` is a direct member of the group `groupDn`. */
  async isMember(groupDn: string, dn: string): Promise<boolean> {
    const value = escapeFilterValue(dn);
    try {
      const { searchEntries } = await this.client.search(groupDn, {
        scope: "base",
        filter: `(|(member=${value})(uniqueMember=${value}))`,
        attributes: ["1.1"],
      });
      return searchEntries.length > 0;
    } catch (error) {
      // A group that does not exist has no members; anything else means no answer.
      if (error instanceof ResultCodeError && error.code === 32) return false;
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }
}

function unavailable(error: unknown): DirectoryUnavailableError {
  if (error instanceof DirectoryUnavailableError) return error;
  return new DirectoryUnavailableError(
    `The directory did not answer: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/** Opens a connection, runs `work`, and always closes it. */
export async function withDirectory<T>(
  config: DirectoryConfig,
  work: (connection: DirectoryConnection) => Promise<T>,
): Promise<T> {
  const connection = await DirectoryConnection.open(config);
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}
