// Shapes shared by every layer; no code, so anything may import it.

/** Where a request came from: the client address server.ts derived from the socket, and the UA. */
export type RequestContext = { ip: string | null; userAgent: string | null };
