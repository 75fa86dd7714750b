import { onTestFinished } from "vitest";
import { replaceTimeSource } from "@/lib/clock";

/**
 * Stops lib/'s clock for the rest of the test that calls it, until moved: every read of "now"
 * — the test's and the code's — then falls in the same 30-second step, however long the test
 * takes. `at` defaults to the real time, since the database's own now() keeps running; a rule
 * that asks the database stays close to it.
 */
export function pinClock(at = Date.now()) {
  let time = at;
  const restore = replaceTimeSource(() => time);
  onTestFinished(restore);
  return {
    now: () => new Date(time),
    ms: () => time,
    /** Moves time on (or back, with a negative amount). */
    advance: (ms: number) => {
      time += ms;
    },
  };
}
