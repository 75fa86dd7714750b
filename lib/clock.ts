// The one clock lib/ reads (docs/decisions/0016-time.md). A rule that compares with "now" takes
// it from here, so a test pins time (lib/testing/clock.ts) instead of waiting for a 30-second
// step or a window to pass, or hoping that two reads of the clock fall in the same step.

let source: () => number = () => Date.now();

export const clock = {
  /** Milliseconds since the epoch. */
  ms: (): number => source(),
  /** The current time. */
  now: (): Date => new Date(source()),
};

/** Replaces the time source and returns what undoes it: for lib/testing/clock.ts only. */
export function replaceTimeSource(next: () => number): () => void {
  const previous = source;
  source = next;
  return () => {
    source = previous;
  };
}
