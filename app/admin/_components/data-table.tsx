import type { ReactNode } from "react";

/** A console table: a caption for screen readers, a row of column headers, and the rows. */
export function DataTable({
  caption,
  columns,
  small = false,
  className = "mt-6",
  children,
}: {
  caption: string;
  columns: readonly ReactNode[];
  /** Smaller text, for tables with many columns. */
  small?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={`${className} overflow-x-auto`}>
      <table className={`w-full text-left ${small ? "text-sm" : ""}`}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr className="border-b border-slate-300">
            {columns.map((column, index) => (
              <th
                key={index}
                scope="col"
                className={index < columns.length - 1 ? "py-2 pr-4" : "py-2"}
              >
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
