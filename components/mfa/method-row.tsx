import type { ReactNode } from "react";
import { LocalTime } from "@/components/ui/local-time";

/**
 * One row in a list of a person's sign-in methods: what it is, any detail lines, when it was
 * added and last used, and what can be done with it. The recovery codes take a row too, without
 * dates.
 */
export function MethodRow({
  title,
  children,
  dates,
  actions,
}: {
  /** The first line, in bold: the kind of method and any badge. */
  title: ReactNode;
  /** Lines between the title and the dates. */
  children?: ReactNode;
  dates?: { createdAt: Date; lastUsedAt: Date | null };
  /** Buttons or dialogs at the row's end. */
  actions?: ReactNode;
}) {
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 p-4">
      <div>
        <p className="font-medium">{title}</p>
        {children}
        {dates && (
          <p className="text-sm text-slate-600">
            Added <LocalTime value={dates.createdAt} />
            {dates.lastUsedAt && (
              <>
                {" "}
                · last used <LocalTime value={dates.lastUsedAt} />
              </>
            )}
          </p>
        )}
      </div>
      {actions}
    </li>
  );
}
