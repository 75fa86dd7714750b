/** "Connection details": what an integration's own configuration needs, as Detail rows. */
export function ConnectionDetails({
  intro,
  children,
}: {
  intro: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <section aria-labelledby="connection-heading" className="mt-8">
      <h2 id="connection-heading" className="text-xl font-semibold">
        Connection details
      </h2>
      <p className="mt-1 max-w-prose text-slate-700">{intro}</p>
      {children}
    </section>
  );
}
