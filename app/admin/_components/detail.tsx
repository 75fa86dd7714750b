/** One row of the connection details, its value labelled by its name for assistive technology. */
export function Detail({
  id,
  name,
  children,
}: {
  id: string;
  name: string;
  children: React.ReactNode;
}) {
  return (
    <div className="py-2 sm:grid sm:grid-cols-[14rem_1fr] sm:gap-4">
      <dt id={id} className="font-medium">
        {name}
      </dt>
      <dd aria-labelledby={id} className="break-all">
        {children}
      </dd>
    </div>
  );
}
