import { exportAuditCsv } from "@/lib/admin/audit-log";
import { requireAgentAction } from "@/lib/admin/guard";
import { writeAudit } from "@/lib/audit/log";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { readAuditFilters } from "../filters";

/**
 * "Export CSV": the filtered audit log as a spreadsheet-safe file (R-A14.3). POST, because the
 * export is itself recorded (server.ts checks the origin); agents only, with a fresh second
 * factor (R-A17.1, R-A9.1). Only reads the log: its rows are never changed (R-A16.3).
 */
export async function POST(request: Request) {
  const agent = await requireAgentAction("/admin/audit");
  const contentType = request.headers.get("content-type") ?? "";
  if (
    !contentType.startsWith("application/x-www-form-urlencoded") &&
    !contentType.startsWith("multipart/form-data")
  ) {
    return new Response("Unsupported request.", { status: 415 });
  }
  const form = await request.formData();
  const { filters, params } = readAuditFilters((name) => {
    const values = form.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  });
  const db = await getDb();
  const { csv, rows } = await exportAuditCsv(db, filters);
  await writeAudit(db, {
    action: "admin.audit.exported",
    outcome: "success",
    actorId: agent.id,
    ...(await getRequestContext()),
    details: {
      rows,
      actor: params.actor ?? null,
      subject: params.subject ?? null,
      filterAction: params.action ?? null,
      from: params.from ?? null,
      to: params.to ?? null,
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  // A byte-order mark lets spreadsheet programs read the file as UTF-8.
  return new Response(`\uFEFF${csv}`, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-log-${stamp}.csv"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
