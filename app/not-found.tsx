import Link from "next/link";

export default function NotFound() {
  return (
    <main id="main" tabIndex={-1} className="mx-auto max-w-xl px-4 py-16">
      <h1 className="text-3xl font-semibold">Page not found</h1>
      <p className="mt-4">
        The page you asked for does not exist, or you do not have access to it.
      </p>
      <p className="mt-4">
        <Link href="/" className="text-brand-700 underline">
          Go to the overview
        </Link>
      </p>
    </main>
  );
}
