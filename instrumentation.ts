/** Runs once when the Next server starts. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Load the IP data (~0.5 s, ~62 MB) in the background: the server is ready at once, and the
  // first sign-in waits only for whatever remains. Failures are logged by ip-intel itself.
  const { warmIpIntel } = await import("@/lib/activity/ip-intel");
  void warmIpIntel();
}
