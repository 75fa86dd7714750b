import { describe, expect, it } from "vitest";
import { describeWait, waitText } from "./wait-text";

describe("describeWait", () => {
  it("counts seconds up to a minute and a half, singular for one", () => {
    expect(describeWait(1)).toBe("1 second");
    expect(describeWait(0)).toBe("0 seconds");
    expect(describeWait(59)).toBe("59 seconds");
    expect(describeWait(89)).toBe("89 seconds");
  });

  it("rounds longer waits up to whole minutes, never showing less than is left", () => {
    expect(describeWait(90)).toBe("2 minutes");
    expect(describeWait(121)).toBe("3 minutes");
    expect(describeWait(3600)).toBe("60 minutes");
  });

  it("rounds fractions of a second up", () => {
    expect(describeWait(0.2)).toBe("1 second");
    expect(describeWait(-3)).toBe("0 seconds");
  });
});

describe("waitText", () => {
  it("says whole hours as hours, anything else as minutes", () => {
    expect(waitText(72 * 3600_000)).toBe("72 hours");
    expect(waitText(3600_000)).toBe("1 hour");
    expect(waitText(60_000)).toBe("1 minute");
    expect(waitText(90 * 60_000)).toBe("90 minutes");
  });
});
