import { getEnv, type Env } from "@/lib/env";

/** How Factor reaches the organisation's directory, from the LDAP_* settings. */
export type DirectoryConfig = {
  url: string;
  /** How passwords are written: Password Modify, or Active Directory's unicodePwd. */
  kind: "openldap" | "active_directory";
  /** ldap:// upgraded with StartTLS; false for ldaps:// and for plain LDAP explicitly allowed. */
  startTls: boolean;
  caFile?: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  peopleFilter: string;
  attributes: {
    login: string;
    email: string;
    givenName: string;
    surname: string;
    displayName: string;
    id: string;
  };
  groups: { helpdesk?: string; admin?: string };
  timeoutMs: number;
};

/** The directory settings of `env`, or null when LDAP_URL is unset (no directory). */
export function directoryConfigFrom(env: Env): DirectoryConfig | null {
  if (!env.LDAP_URL || !env.LDAP_BIND_DN || !env.LDAP_BIND_PASSWORD || !env.LDAP_BASE_DN)
    return null;
  return {
    url: env.LDAP_URL.replace(/\/$/, ""),
    kind:
      env.LDAP_DIRECTORY_KIND ??
      (env.LDAP_ID_ATTRIBUTE.toLowerCase() === "objectguid" ? "active_directory" : "openldap"),
    startTls: env.LDAP_URL.startsWith("ldap://") && !env.LDAP_ALLOW_PLAIN,
    caFile: env.LDAP_CA_FILE,
    bindDn: env.LDAP_BIND_DN,
    bindPassword: env.LDAP_BIND_PASSWORD,
    baseDn: env.LDAP_BASE_DN,
    peopleFilter: env.LDAP_PEOPLE_FILTER,
    attributes: {
      login: env.LDAP_LOGIN_ATTRIBUTE,
      email: env.LDAP_EMAIL_ATTRIBUTE,
      givenName: env.LDAP_GIVEN_NAME_ATTRIBUTE,
      surname: env.LDAP_SURNAME_ATTRIBUTE,
      displayName: env.LDAP_DISPLAY_NAME_ATTRIBUTE,
      id: env.LDAP_ID_ATTRIBUTE,
    },
    groups: { helpdesk: env.LDAP_HELPDESK_GROUP, admin: env.LDAP_ADMIN_GROUP },
    timeoutMs: env.LDAP_TIMEOUT_SECONDS * 1000,
  };
}

/** This process's directory, or null when none is configured. */
export function getDirectoryConfig(): DirectoryConfig | null {
  return directoryConfigFrom(getEnv());
}
