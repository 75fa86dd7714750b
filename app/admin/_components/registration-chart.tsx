import type { RegistrationProgress } from "@/lib/admin/registration-progress";
import { roleName } from "@/lib/admin/account-actions";
import type { Role } from "@/lib/auth/users";
import { DataTable } from "./data-table";

// A step chart drawn on the server as SVG: no chart library and no script reach the browser.
// Each role has its own colour and its own dash pattern, so the lines are told apart without
// colour (WCAG 1.4.1); the colours keep 3:1 against white (1.4.11). The numbers are also in a
// table, for screen readers and anyone who wants them exact.

export const CHART_NAME = "People with a registered sign-in method, by role, over the last 90 days";

const LINE_STYLES: Record<Role, { colour: string; dash?: string }> = {
  user: { colour: "#1d4ed8" },
  helpdesk: { colour: "#b45309", dash: "8 4" },
  admin: { colour: "#047857", dash: "2 3" },
};

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 12, right: 16, bottom: 28, left: 44 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

const dayLabel = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});
const fullDay = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});
const asDate = (day: string) => new Date(`${day}T00:00:00Z`);

/** A round top for the vertical axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceCeiling(max: number): number {
  if (max <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** "M x y H x V y H x …": the count holds all day and steps up where it changed. */
function stepPath(values: number[], x: (i: number) => number, y: (v: number) => number): string {
  let path = `M${x(0)} ${y(values[0] ?? 0)}`;
  for (let i = 1; i < values.length; i++) {
    path += ` H${x(i)}`;
    if (values[i] !== values[i - 1]) path += ` V${y(values[i]!)}`;
  }
  return path;
}

/** Today's numbers, the chart and its data, for the console's overview. */
export function RegistrationChart({ progress }: { progress: RegistrationProgress }) {
  const { days, series, today } = progress;
  const top = niceCeiling(Math.max(1, ...series.flatMap((s) => s.registered)));
  const x = (i: number) =>
    Math.round((PAD.left + (days.length > 1 ? (i / (days.length - 1)) * PLOT_W : 0)) * 10) / 10;
  const y = (v: number) => Math.round((PAD.top + PLOT_H - (v / top) * PLOT_H) * 10) / 10;
  const yTicks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const xTicks = days.map((_, i) => i).filter((i) => (days.length - 1 - i) % 30 === 0);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const summary = series
    .map(
      (s) =>
        `${roleName(s.role)}: ${s.registered[0]} on ${fullDay.format(asDate(first))}, ${s.registered[s.registered.length - 1]} on ${fullDay.format(asDate(last))}.`,
    )
    .join(" ");
  // The table lists every seventh day back from today, so it ends on today's numbers.
  const rows = days
    .map((day, i) => ({ day, i }))
    .filter(({ i }) => (days.length - 1 - i) % 7 === 0);

  return (
    <>
      <DataTable
        caption="Registration today, by role"
        columns={["Role", "People", "With a sign-in method", "Share"]}
        className="mt-4"
      >
        {today.map((row) => (
          <tr key={row.role} className="border-b border-slate-200">
            <th scope="row" className="py-2 pr-4 font-medium">
              {roleName(row.role)}
            </th>
            <td className="py-2 pr-4">{row.people}</td>
            <td className="py-2 pr-4">{row.registered}</td>
            <td className="py-2">
              {row.people === 0 ? "–" : `${Math.round((100 * row.registered) / row.people)}%`}
            </td>
          </tr>
        ))}
      </DataTable>

      <figure className="mt-8">
        <figcaption className="font-semibold">{CHART_NAME}</figcaption>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          className="mt-2 h-auto w-full max-w-3xl"
          role="img"
          aria-labelledby="registration-chart-title"
          aria-describedby="registration-chart-desc"
        >
          <title id="registration-chart-title">{CHART_NAME}</title>
          <desc id="registration-chart-desc">{summary}</desc>
          {yTicks.map((tick) => (
            <g key={tick}>
              <line
                x1={PAD.left}
                x2={WIDTH - PAD.right}
                y1={y(tick)}
                y2={y(tick)}
                stroke="#cbd5e1"
                strokeWidth={1}
              />
              <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" fontSize={11} fill="#334155">
                {Number.isInteger(tick) ? tick : tick.toFixed(1)}
              </text>
            </g>
          ))}
          {xTicks.map((i) => (
            <text
              key={i}
              x={x(i)}
              y={HEIGHT - 8}
              textAnchor={i === 0 ? "start" : i === days.length - 1 ? "end" : "middle"}
              fontSize={11}
              fill="#334155"
            >
              {dayLabel.format(asDate(days[i]!))}
            </text>
          ))}
          {series.map((s) => (
            <path
              key={s.role}
              d={stepPath(s.registered, x, y)}
              fill="none"
              stroke={LINE_STYLES[s.role].colour}
              strokeDasharray={LINE_STYLES[s.role].dash}
              strokeWidth={2.5}
            />
          ))}
        </svg>
        <ul className="mt-2 flex flex-wrap gap-x-6 gap-y-1 text-sm" aria-label="Chart legend">
          {series.map((s) => (
            <li key={s.role} className="flex items-center gap-2">
              <svg width="32" height="10" aria-hidden="true" focusable="false">
                <line
                  x1="0"
                  x2="32"
                  y1="5"
                  y2="5"
                  stroke={LINE_STYLES[s.role].colour}
                  strokeDasharray={LINE_STYLES[s.role].dash}
                  strokeWidth={2.5}
                />
              </svg>
              {roleName(s.role)}
            </li>
          ))}
        </ul>
      </figure>

      <details className="mt-4">
        <summary className="cursor-pointer text-brand-700 underline">
          Show the chart&apos;s data
        </summary>
        <DataTable
          caption={`${CHART_NAME}, week by week`}
          columns={["Day", ...series.map((s) => roleName(s.role))]}
          small
          className="mt-2"
        >
          {rows.map(({ day, i }) => (
            <tr key={day} className="border-b border-slate-200">
              <th scope="row" className="py-1 pr-4 font-medium">
                {fullDay.format(asDate(day))}
              </th>
              {series.map((s) => (
                <td key={s.role} className="py-1 pr-4">
                  {s.registered[i]}
                </td>
              ))}
            </tr>
          ))}
        </DataTable>
      </details>
    </>
  );
}
