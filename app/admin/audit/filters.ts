import { isAuditAction, type AuditFilters } from "@/lib/admin/audit-log";

/** A filter value as one short string, from a query or a form; anything else is no filter. */
function text(value: unknown, max = 320): string | undefined {
  const v = Array.isArray(value) ? undefined : value;
  return typeof v === "string" && v.trim() && v.length <= max ? v.trim() : undefined;
}

/** A yyyy-mm-dd day as the start of that day in UTC. */
function day(value: unknown, plusDays = 0): Date | undefined {
  const v = text(value, 10);
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const date = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return undefined;
  return new Date(date.getTime() + plusDays * 86_400_000);
}

export type AuditFilterParams = {
  actor?: string;
  subject?: string;
  action?: string;
  from?: string;
  to?: string;
};

/** Reads the audit filters: "to" is a whole day, so it includes that day's entries. */
export function readAuditFilters(get: (name: string) => unknown): {
  filters: AuditFilters;
  params: AuditFilterParams;
} {
  const action = text(get("action"), 80);
  const params: AuditFilterParams = {
    actor: text(get("actor")),
    subject: text(get("subject")),
    action: isAuditAction(action) ? action : undefined,
    from: day(get("from")) ? text(get("from"), 10) : undefined,
    to: day(get("to")) ? text(get("to"), 10) : undefined,
  };
  return {
    params,
    filters: {
      actor: params.actor,
      subject: params.subject,
      action: isAuditAction(params.action) ? params.action : undefined,
      from: day(params.from),
      to: day(params.to, 1),
    },
  };
}
