import { getEnv } from "@/lib/env";
import { securityTxt } from "@/lib/security/security-txt";

/** RFC 9116: where to report a vulnerability, from the settings; for anyone, signed in or not. */
export function GET(): Response {
  return new Response(securityTxt(getEnv()), {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" },
  });
}
