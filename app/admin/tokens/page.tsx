import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/components/ui/local-time";
import { primaryButton } from "@/components/ui/button-styles";
import { agentMayActOn, requireAgentPage } from "@/lib/admin/guard";
import { getTokenHolders, listTokens, type TokenState } from "@/lib/admin/hardware-tokens";
import { getDb } from "@/lib/db/client";
import { AgentActionDialog } from "../users/[id]/agent-action-dialog";
import { activateTokenForUserAction } from "./actions";
import { CodeField } from "./code-field";

export const metadata: Metadata = { title: "Hardware tokens" };

const STATES: Record<TokenState, string> = {
  available: "Available",
  assigned: "Assigned, not activated",
  active: "Active",
};

export default async function TokensPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const agent = await requireAgentPage();
  const params = await searchParams;
  const state =
    typeof params.state === "string" && params.state in STATES
      ? (params.state as TokenState)
      : undefined;
  const after =
    typeof params.after === "string" && params.after.length <= 64 ? params.after : undefined;
  const db = await getDb();
  const { items, nextSerial } = await listTokens(db, { state, afterSerial: after });
  const holderIds = [...new Set(items.flatMap((t) => (t.assignee ? [t.assignee.id] : [])))];
  const roles = new Map((await getTokenHolders(db, holderIds)).map((u) => [u.id, u.role] as const));
  const query = (extra: Record<string, string>) =>
    `?${new URLSearchParams({ ...(state ? { state } : {}), ...extra }).toString()}`;

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-3xl font-semibold">Hardware tokens</h1>
        {agent.role === "admin" && (
          <Link href="/admin/tokens/import" className={primaryButton}>
            Import tokens
          </Link>
        )}
      </div>
      <form method="get" className="mt-6 flex flex-wrap items-end gap-3">
        <div className="space-y-1">
          <label htmlFor="token-state" className="block text-sm font-medium text-slate-800">
            State
          </label>
          <select
            id="token-state"
            name="state"
            defaultValue={state ?? ""}
            className="rounded-md border border-slate-400 px-3 py-2"
          >
            <option value="">All</option>
            {Object.entries(STATES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="rounded-md border border-slate-400 px-4 py-2">
          Filter
        </button>
      </form>
      {items.length === 0 ? (
        <p className="mt-6 text-slate-700">No hardware tokens{state ? " in this state" : ""}.</p>
      ) : (
        <table className="mt-6 w-full text-left">
          <caption className="sr-only">Hardware tokens</caption>
          <thead className="border-b border-slate-300">
            <tr>
              <th scope="col" className="py-2 pr-4">
                Serial number
              </th>
              <th scope="col" className="py-2 pr-4">
                Model
              </th>
              <th scope="col" className="py-2 pr-4">
                Assigned to
              </th>
              <th scope="col" className="py-2 pr-4">
                State
              </th>
              <th scope="col" className="py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((token) => {
              const holderRole = token.assignee ? roles.get(token.assignee.id) : undefined;
              const mayActivate =
                token.state === "assigned" &&
                token.assignee &&
                holderRole &&
                agentMayActOn(
                  agent,
                  { id: token.assignee.id, role: holderRole },
                  "assign_token",
                ) === null;
              return (
                <tr key={token.id} className="border-b border-slate-200 align-top">
                  <td className="py-2 pr-4 font-mono">{token.serialNumber}</td>
                  <td className="py-2 pr-4">
                    {[token.manufacturer, token.model].filter(Boolean).join(" ") || "—"}
                    <span className="block text-sm text-slate-600">
                      every {token.periodSeconds} s
                    </span>
                  </td>
                  <td className="py-2 pr-4">
                    {token.assignee ? (
                      <Link
                        href={`/admin/users/${token.assignee.id}`}
                        className="text-brand-700 underline"
                      >
                        {token.assignee.displayName}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="py-2 pr-4">
                    {STATES[token.state]}
                    {token.activatedAt && token.state === "active" && (
                      <span className="block text-sm text-slate-600">
                        since <LocalTime value={token.activatedAt} />
                      </span>
                    )}
                  </td>
                  <td className="py-2">
                    {mayActivate && (
                      <AgentActionDialog
                        label="Activate"
                        accessibleLabel={`Activate token ${token.serialNumber}`}
                        title={`Activate token ${token.serialNumber}`}
                        description="Ask the holder to press the token's button and read you the code it shows."
                        action={activateTokenForUserAction}
                        userId={token.assignee!.id}
                        hidden={{ tokenId: token.id }}
                      >
                        <CodeField id={`code-${token.id}`} />
                      </AgentActionDialog>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {nextSerial && (
        <p className="mt-4">
          <Link href={query({ after: nextSerial })} className="text-brand-700 underline">
            Next page
          </Link>
        </p>
      )}
    </>
  );
}
