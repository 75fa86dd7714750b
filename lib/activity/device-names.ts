import { describeLocation, lookupIp } from "./ip-intel";
import { describeDevice, parseUserAgent } from "./user-agent";

// How Devices, the helpdesk and the notices name a browser: what it is and where it was.

type Seen = { userAgent: string | null; ip: string | null };

/** A browser in words: "Chrome on Windows" and "London, United Kingdom", together as its name. */
export async function describeBrowser(
  seen: Seen,
): Promise<{ device: string; location: string; name: string }> {
  const device = describeDevice(parseUserAgent(seen.userAgent));
  const location = describeLocation(await lookupIp(seen.ip));
  return { device, location, name: `${device}, ${location}` };
}

/**
 * Names each row of a list. Two of the same kind in the same place get numbered names
 * ("… (2)"), so every button on the list names one row.
 */
export async function nameDevices<T extends Seen>(
  rows: T[],
): Promise<(T & { device: string; location: string; name: string })[]> {
  const described = await Promise.all(
    rows.map(async (row) => ({ ...row, ...(await describeBrowser(row)) })),
  );
  const seen = new Map<string, number>();
  return described.map((row) => {
    const count = (seen.get(row.name) ?? 0) + 1;
    seen.set(row.name, count);
    return count === 1 ? row : { ...row, name: `${row.name} (${count})` };
  });
}
