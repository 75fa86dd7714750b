import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Attribute, Change, Client, Control, ResultCodeError } from "ldapts";
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

/** What a password write said: done, or refused by the directory's policy with its own words. */
export type PasswordWrite = { written: true } | { written: false; message: string };

const PASSWORD_MODIFY_OID = "1.3.6.1.4.1.4203.1.11.1";
/** Result codes a directory refuses a new password with (its policy), not an outage. */
const POLICY_REFUSALS = new Set([19, 21, 50, 53]); // constraint, invalid syntax, access, unwilling

/** One BER element: the tag, the length (short or long form), the content. */
function ber(tag: number, content: Buffer): Buffer {
  const length =
    content.length < 0x80
      ? Buffer.from([content.length])
      : (() => {
          const bytes: number[] = [];
          for (let n = content.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
          return Buffer.from([0x80 | bytes.length, ...bytes]);
        })();
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** RFC 3062 PasswdModifyRequestValue: [0] userIdentity, [1] oldPasswd, [2] newPasswd. */
export function passwordModifyRequest(fields: {
  dn?: string;
  oldPassword?: string;
  newPassword: string;
}): Buffer {
  const parts = [
    fields.dn === undefined ? null : ber(0x80, Buffer.from(fields.dn, "utf8")),
    fields.oldPassword === undefined ? null : ber(0x81, Buffer.from(fields.oldPassword, "utf8")),
    ber(0x82, Buffer.from(fields.newPassword, "utf8")),
  ].filter((part): part is Buffer => part !== null);
  return ber(0x30, Buffer.concat(parts));
}

/** Active Directory's unicodePwd value: the password in double quotes, as UTF-16LE. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, "utf16le");
}

/** The directory's own words from a refusal, without ldapts' " Code: 0x13" suffix. */
/** LDAP's sizeLimitExceeded (RFC 4511 §4.1.9). */
const SIZE_LIMIT_EXCEEDED = 4;

function directoryMessage(error: ResultCodeError): string {
  const text = error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, "").trim();
  // Active Directory prefixes a hex code ("0000052D: Constraint violation - …"): keep the words.
  return text.replace(/^[0-9A-F]{8}: /, "").slice(0, 300) || "The directory refused it.";
}

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
      return this.toPerson(searchEntries[0]!);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private toPerson(entry: { dn: string } & Record<string, unknown>): DirectoryPerson | null {
    const a = this.config.attributes;
    const id = first(entry[a.id]);
    const login = first(entry[a.login]);
    if (!id || !login) return null;
    const given = first(entry[a.givenName]);
    const surname = first(entry[a.surname]);
    const displayName =
      first(entry[a.displayName]) ??
      ([given, surname].filter(Boolean).join(" ") || first(entry.cn) || login);
    return { dn: entry.dn, id, login, email: first(entry[a.email]), displayName };
  }

  /**
   * Every person the filter selects, read in pages of `pageSize` (RFC 2696); `skipped` counts
   * entries without an id or a login name. A total size limit on the service account still cuts
   * paged searches short on OpenLDAP (size.prtotal): that is an error, never a shorter list.
   */
  async listPeople(pageSize = 500): Promise<{ people: DirectoryPerson[]; skipped: number }> {
    const { attributes: a, peopleFilter } = this.config;
    const binary = BINARY_ID_ATTRIBUTES.has(a.id.toLowerCase());
    const people: DirectoryPerson[] = [];
    let skipped = 0;
    try {
      const pages = this.client.searchPaginated(this.config.baseDn, {
        scope: "sub",
        filter: peopleFilter,
        attributes: [a.id, a.login, a.email, a.givenName, a.surname, a.displayName, "cn"],
        explicitBufferAttributes: binary ? [a.id] : [],
        paged: { pageSize },
      });
      for await (const page of pages) {
        for (const entry of page.searchEntries) {
          const person = this.toPerson(entry);
          if (person) people.push(person);
          else skipped += 1;
        }
      }
    } catch (error) {
      if (error instanceof ResultCodeError && error.code === SIZE_LIMIT_EXCEEDED)
        throw new DirectoryUnavailableError(
          "The directory stopped the list of people at its size limit: let the service account " +
            "page past it (OpenLDAP: limits dn.exact=<its DN> size.prtotal=unlimited).",
          { cause: error },
        );
      throw unavailable(error);
    }
    return { people, skipped };
  }

  /** The DNs (lower case) of a group's direct members; empty when the group does not exist. */
  async groupMembers(groupDn: string): Promise<Set<string>> {
    try {
      const { searchEntries } = await this.client.search(groupDn, {
        scope: "base",
        filter: "(objectClass=*)",
        attributes: ["member", "uniqueMember"],
      });
      const members = new Set<string>();
      for (const entry of searchEntries)
        for (const name of ["member", "uniqueMember"]) {
          const values = entry[name];
          for (const value of Array.isArray(values) ? values : values ? [values] : [])
            members.add(normalizeDn(String(value)));
        }
      return members;
    } catch (error) {
      if (error instanceof ResultCodeError && error.code === 32) return new Set();
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

  /**
   * The person's own change: bound as them with the current password, so the directory applies
   * the policy it sets for its people (length, quality, history). Password Modify (RFC 3062) on
   * OpenLDAP; on Active Directory the old unicodePwd value is deleted and the new one added,
   * which AD accepts only over TLS. Bound as the service account again afterwards.
   */
  async changeOwnPassword(
    dn: string,
    oldPassword: string,
    newPassword: string,
  ): Promise<PasswordWrite> {
    if (oldPassword === "") return { written: false, message: "The current password is missing." };
    try {
      try {
        await this.client.bind(dn, oldPassword);
      } catch (error) {
        if (error instanceof ResultCodeError && POLICY_REFUSALS.has(error.code))
          return { written: false, message: directoryMessage(error) };
        if (error instanceof ResultCodeError && error.code === 49)
          return { written: false, message: "The directory did not accept the current password." };
        throw error;
      }
      return await this.writePassword(dn, newPassword, oldPassword);
    } finally {
      await this.bindService().catch(() => undefined);
    }
  }

  /**
   * A password set for the person by the service account (a reset): Password Modify naming the
   * entry, or unicodePwd replaced on Active Directory. The service account needs the right to
   * write passwords in the directory. OpenLDAP's password policy marks a password an
   * administrator sets as one to change (pwdReset); Factor clears that mark and asks for the
   * change itself when it must (the helpdesk's temporary password), so a person who reset their
   * own password is not asked to change it again.
   */
  async setPassword(dn: string, newPassword: string): Promise<PasswordWrite> {
    const written = await this.writePassword(dn, newPassword, undefined);
    if (written.written && this.config.kind === "openldap") {
      try {
        await this.client.modify(
          dn,
          new Change({ operation: "replace", modification: new Attribute({ type: "pwdReset" }) }),
        );
      } catch (error) {
        throw unavailable(error);
      }
    }
    return written;
  }

  private async writePassword(
    dn: string,
    newPassword: string,
    oldPassword: string | undefined,
  ): Promise<PasswordWrite> {
    try {
      if (this.config.kind === "active_directory") {
        const changes =
          oldPassword === undefined
            ? [
                new Change({
                  operation: "replace",
                  modification: new Attribute({
                    type: "unicodePwd",
                    values: [unicodePwd(newPassword)],
                  }),
                }),
              ]
            : [
                new Change({
                  operation: "delete",
                  modification: new Attribute({
                    type: "unicodePwd",
                    values: [unicodePwd(oldPassword)],
                  }),
                }),
                new Change({
                  operation: "add",
                  modification: new Attribute({
                    type: "unicodePwd",
                    values: [unicodePwd(newPassword)],
                  }),
                }),
              ];
        await this.client.modify(dn, changes);
      } else {
        await this.client.exop(
          PASSWORD_MODIFY_OID,
          passwordModifyRequest(
            oldPassword === undefined ? { dn, newPassword } : { dn, oldPassword, newPassword },
          ),
        );
      }
      return { written: true };
    } catch (error) {
      if (error instanceof ResultCodeError && POLICY_REFUSALS.has(error.code))
        return { written: false, message: directoryMessage(error) };
      throw unavailable(error);
    }
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

/** A DN compared loosely: lower case, no spaces around the separators. */
export function normalizeDn(dn: string): string {
  return dn.toLowerCase().replace(/\s*([,=+])\s*/g, "$1");
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
