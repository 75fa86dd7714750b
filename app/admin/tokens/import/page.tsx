import type { Metadata } from "next";
import Link from "next/link";
import { requireAgentPage } from "@/lib/admin/guard";
import { ImportForm } from "./import-form";

export const metadata: Metadata = { title: "Import tokens" };

export default async function ImportTokensPage() {
  await requireAgentPage({ adminOnly: true });
  return (
    <>
      <p className="mb-2">
        <Link href="/admin/tokens" className="text-brand-700 underline">
          Hardware tokens
        </Link>
      </p>
      <h1 className="mb-4 text-3xl font-semibold">Import tokens</h1>
      <p className="mb-6 max-w-prose text-slate-700">
        Paste the CSV file your token vendor sent, or choose it. &ldquo;Check file&rdquo; lists what
        would be imported and every problem, changing nothing. Nothing is imported until the whole
        file is clean. The secret keys are encrypted as they are stored and never shown again.
      </p>
      <ImportForm />
    </>
  );
}
