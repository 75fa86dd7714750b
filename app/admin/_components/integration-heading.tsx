import Link from "next/link";
import { Alert } from "@/components/ui/alert";

/** An integration's page heading: the way back to the list, the name, a summary and notices. */
export function IntegrationHeading({
  list,
  name,
  summary,
  notices = [],
}: {
  list: { href: string; label: string };
  name: string;
  /** Its settings in words, shown joined by " · "; false for one that does not apply. */
  summary: (string | false)[];
  /** Under the summary: that it is disabled, or a setting that is unsafe; false for none. */
  notices?: ({ kind: "info" | "error"; text: string } | false)[];
}) {
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={list.href} className="text-brand-700 underline">
          {list.label}
        </Link>
      </p>
      <h1 className="text-3xl font-semibold">{name}</h1>
      <p className="mt-1 text-slate-700">{summary.filter(Boolean).join(" · ")}</p>
      {notices.map(
        (notice) =>
          notice && (
            <div key={notice.text} className="mt-4">
              <Alert kind={notice.kind}>{notice.text}</Alert>
            </div>
          ),
      )}
    </>
  );
}
