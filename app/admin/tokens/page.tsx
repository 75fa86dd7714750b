import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/components/ui/local-time";
import { primaryButton } from "@/components/ui/button-styles";
import { agentMayActOn, requireAgentPage } from "@/lib/admin/guard";
import { getTokenHolders, listTokens, type TokenState } from "@/lib/admin/hardware-tokens";
import { getDb } from "@/lib/db/client";
import { DataTable } from "../_components/data-table";
import { FilterField } from "../_components/filter-field";
import { FilterForm } from "../_components/filter-form";
import { MoreLink } from "../_components/more-link";
import { choice, listHref, param, type SearchParams } from "../search-params";
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
  searchParams: Promise<SearchParams>;
}) {
  const agent = await requireAgentPage();
  const params = await searchParams;
  const state = choice(params, "state", Object.keys(STATES) as TokenState[]);
  const after = param(params, "after", 64);
  const db = await getDb();
  const { items, nextSerial } = await listTokens(db, { state, afterSerial: after });
  const holderIds = [...new Set(items.flatMap((t) => (t.assignee ? [t.assignee.id] : [])))];
  const roles = new Map((await getTokenHolders(db, holderIds)).map((u) => [u.id, u.role] as const));

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
      <FilterForm>
        <FilterField
          id="token-state"
          name="state"
          label="State"
          value={state}
          anyLabel="All"
          options={Object.entries(STATES)}
        />
      </FilterForm>
      {items.length === 0 ? (
        <p className="mt-6 text-slate-700">No hardware tokens{state ? " in this state" : ""}.</p>
      ) : (
        <DataTable
          caption="Hardware tokens"
          columns={[
            "Serial number",
            "Model",
            "Assigned to",
            "State",
            <span key="actions" className="sr-only">
              Actions
            </span>,
          ]}
        >
          {items.map((token) => {
            const holderRole = token.assignee ? roles.get(token.assignee.id) : undefined;
            const mayActivate =
              token.state === "assigned" &&
              token.assignee &&
              holderRole &&
              agentMayActOn(agent, { id: token.assignee.id, role: holderRole }, "assign_token").ok;
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
        </DataTable>
      )}
      {nextSerial && (
        <MoreLink href={listHref("", { state, after: nextSerial })}>Next page</MoreLink>
      )}
    </>
  );
}
