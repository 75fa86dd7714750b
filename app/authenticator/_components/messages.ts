// Sentences more than one part of the phone app shows.

export const UNREACHABLE_TEXT = "Couldn't reach the server. Check your connection and try again.";

export const LOCKED_TEXT =
  "Too many wrong PINs: phone sign-in was turned off for this phone. Sign in with your password, then turn it on again with a new app PIN.";

export function wrongPinText(attemptsLeft: number | undefined): string {
  if (attemptsLeft === undefined) return "Wrong PIN.";
  return `Wrong PIN. ${attemptsLeft} ${attemptsLeft === 1 ? "attempt" : "attempts"} left.`;
}
