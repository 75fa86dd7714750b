import { LocalTime } from "@/components/ui/local-time";
import type { RememberedBrowserView } from "@/lib/mfa/remembered-browser";

/** Under a remembered browser's name: its address, and when it was remembered, used and ends. */
export function RememberedBrowserDetails({
  browser,
}: {
  browser: Pick<RememberedBrowserView, "ip" | "createdAt" | "lastUsedAt" | "expiresAt">;
}) {
  return (
    <>
      <p className="text-slate-700">IP address {browser.ip ?? "unknown"}</p>
      <p className="text-sm text-slate-600">
        Remembered <LocalTime value={browser.createdAt} /> ·{" "}
        {browser.lastUsedAt ? (
          <>
            last used <LocalTime value={browser.lastUsedAt} />
          </>
        ) : (
          "not used yet"
        )}{" "}
        · until <LocalTime value={browser.expiresAt} />
      </p>
    </>
  );
}
