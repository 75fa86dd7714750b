/** A message announced to screen readers: errors as alerts, confirmations as status. */
export function Alert({
  kind,
  children,
  id,
}: {
  kind: "error" | "success" | "info";
  children: React.ReactNode;
  id?: string;
}) {
  const style = {
    error: "border-red-700 bg-red-50 text-red-800",
    success: "border-green-700 bg-green-50 text-green-900",
    info: "border-brand-600 bg-brand-50 text-brand-800",
  }[kind];
  return (
    <div
      id={id}
      role={kind === "error" ? "alert" : "status"}
      className={`rounded-md border-l-4 p-3 ${style}`}
    >
      {children}
    </div>
  );
}
