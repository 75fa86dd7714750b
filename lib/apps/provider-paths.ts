// Where the provider is served. Kept apart from lib/oidc/provider.ts so pages can link here
// without loading the provider.

/** Everything the provider serves lives under this path, except discovery. */
export const OIDC_PATH = "/oidc";
export const INTERACTION_PATH = `${OIDC_PATH}/interaction`;
export const DISCOVERY_PATH = "/.well-known/openid-configuration";
