import type { ReactNode } from "react";

/** The filters above a console list: a GET form, so the filtered list has its own address. */
export function FilterForm({
  children,
  className = "flex flex-wrap items-end gap-3",
}: {
  children: ReactNode;
  /** How the fields are laid out. */
  className?: string;
}) {
  return (
    <form method="get" className={`mt-6 ${className}`}>
      {children}
      <button type="submit" className="rounded-md border border-slate-400 px-4 py-2">
        Filter
      </button>
    </form>
  );
}
