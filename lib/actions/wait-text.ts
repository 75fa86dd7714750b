/**
 * A wait as a person reads it: "1 second", "45 seconds", "3 minutes". Seconds up to a minute and
 * a half, whole minutes (rounded up) after, so a wait is never shown shorter than it is.
 */
export function describeWait(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 90) return whole === 1 ? "1 second" : `${whole} seconds`;
  return `${Math.ceil(whole / 60)} minutes`;
}

/** A set period in words, in whole hours when it is some: "72 hours", "1 minute", "90 minutes". */
export function waitText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 !== 0) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = minutes / 60;
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}
