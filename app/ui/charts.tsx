import { Group } from "@visx/group";
import { PatternLines } from "@visx/pattern";
import { scaleBand, scaleLinear } from "@visx/scale";
import { Bar, Line } from "@visx/shape";
import type { ReactNode } from "react";
import type { OversightTable } from "~/services/oversight";

/**
 * Charts drawn on the server as SVG with visx (docs/decisions/010-oversight-dashboards.md): they
 * show without JavaScript and print. Each is an image with a title and a description
 * (role="img", aria-labelledby), and the same numbers follow it in a table. Series differ by fill
 * *and* pattern (solid blue, black hatching on white, solid black), every bar has a black outline
 * and bars carry their values, so nothing depends on colour and a greyscale print reads the same.
 */

const WIDTH = 640;
const TEXT = "#0b0c0c";
const SECONDARY_TEXT = "#484949";
const BLUE = "#1d70b8";
const FONT = "arial, sans-serif";

/** How series are told apart: by fill and pattern, never by colour alone. */
function seriesFill(chartId: string, index: number): string {
  if (index % 3 === 0) return BLUE;
  if (index % 3 === 1) return `url(#${chartId}-hatch)`;
  return TEXT;
}

function Patterns({ chartId }: { chartId: string }) {
  // PatternLines draws its own <defs>.
  return (
    <PatternLines
      id={`${chartId}-hatch`}
      height={8}
      width={8}
      stroke={TEXT}
      strokeWidth={2}
      background="#ffffff"
      orientation={["diagonal"]}
    />
  );
}

const LEGEND_ROW = 24;

function Legend({ table, chartId }: { table: OversightTable; chartId: string }) {
  if (table.series.length < 2 || table.chart === "small-multiples") return null;
  return (
    <Group top={4}>
      {table.series.map((series, index) => (
        <Group key={series.key} top={index * LEGEND_ROW}>
          <rect
            width={16}
            height={16}
            fill={seriesFill(chartId, index)}
            stroke={TEXT}
            strokeWidth={1}
          />
          <text x={24} y={13} fontSize={16} fontFamily={FONT} fill={TEXT}>
            {series.label}
          </text>
        </Group>
      ))}
    </Group>
  );
}

function legendHeight(table: OversightTable): number {
  return table.series.length < 2 || table.chart === "small-multiples"
    ? 0
    : table.series.length * LEGEND_ROW + 12;
}

/** The SVG frame every chart shares: an image with its title and description. */
function ChartFrame({
  table,
  height,
  children,
}: {
  table: OversightTable;
  height: number;
  children: ReactNode;
}) {
  const id = `chart-${table.id}`;
  return (
    <figure className="app-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        className="app-chart__image"
        fontFamily={FONT}
      >
        <title id={`${id}-title`}>{`Chart: ${table.title}`}</title>
        <desc id={`${id}-desc`}>{`${table.description} ${summarise(table)}`}</desc>
        <Patterns chartId={id} />
        <rect width={WIDTH} height={height} fill="#ffffff" />
        <Legend table={table} chartId={id} />
        {children}
      </svg>
    </figure>
  );
}

/** The chart's numbers in a sentence, for its description; the table under it has them all. */
function summarise(table: OversightTable): string {
  const totals = table.series.map(
    (series, index) =>
      `${series.label}: ${table.rows.reduce((sum, row) => sum + (row.values[index] ?? 0), 0)} in all`,
  );
  if (table.chart !== "bars") return `${totals.join("; ")}. The table below gives every number.`;
  const cells = table.rows.map(
    (row) =>
      `${row.label}: ${row.values
        .map((value, index) =>
          table.series.length > 1 ? `${table.series[index]?.label ?? ""} ${value}` : String(value),
        )
        .join(", ")}`,
  );
  return `${cells.join("; ")}.`;
}

const largest = (table: OversightTable) => Math.max(1, ...table.rows.flatMap((row) => row.values));

/** Horizontal bars: each row's label above its bars, one bar per series, each with its value. */
function Bars({ table }: { table: OversightTable }) {
  const chartId = `chart-${table.id}`;
  const barHeight = 18;
  const labelHeight = 22;
  const groupHeight = labelHeight + table.series.length * (barHeight + 4) + 10;
  const top = legendHeight(table);
  const height = top + table.rows.length * groupHeight + 4;
  const x = scaleLinear<number>({ domain: [0, largest(table)], range: [0, WIDTH - 60] });
  return (
    <ChartFrame table={table} height={height}>
      <Group top={top}>
        {table.rows.map((row, rowIndex) => (
          <Group key={row.key} top={rowIndex * groupHeight}>
            <text y={16} fontSize={16} fill={TEXT}>
              {row.label}
            </text>
            {row.values.map((value, index) => {
              const y = labelHeight + index * (barHeight + 4);
              const width = Math.max(value > 0 ? 2 : 0, x(value));
              return (
                <Group key={table.series[index]?.key ?? index} top={y}>
                  <Bar
                    x={0}
                    y={0}
                    width={width}
                    height={barHeight}
                    fill={seriesFill(chartId, index)}
                    stroke={TEXT}
                    strokeWidth={value > 0 ? 1 : 0}
                  />
                  <text className="app-chart__value" x={width + 6} y={14} fontSize={16} fill={TEXT}>
                    {value}
                  </text>
                </Group>
              );
            })}
          </Group>
        ))}
      </Group>
    </ChartFrame>
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A short axis label: "5 Jan" for a week, "Jan 26" for a month, else the row's label. */
function shortLabel(table: OversightTable, key: string, label: string): string {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!date) return label;
  const month = MONTHS[Number(date[2]) - 1] ?? "";
  return table.id === "not-shared-and-withdrawn"
    ? `${month} ${date[1]?.slice(2) ?? ""}`
    : `${Number(date[3])} ${month}`;
}

/** Only some labels fit under many columns: every nth, at most about eight. */
function everyNth<T>(items: readonly T[], most = 8): T[] {
  const step = Math.max(1, Math.ceil(items.length / most));
  return items.filter((_, index) => index % step === 0);
}

/**
 * A category axis under columns: its line, a tick and a label under some columns. Drawn here rather
 * than with @visx/axis, whose labels carry inline styles the Content Security Policy refuses.
 */
function BottomAxis({
  top,
  x,
  keys,
  labels,
  from,
}: {
  top: number;
  x: ReturnType<typeof scaleBand<string>>;
  keys: readonly string[];
  labels: ReadonlyMap<string, string>;
  from: number;
}) {
  return (
    <Group top={top}>
      <Line from={{ x: from, y: 0.5 }} to={{ x: WIDTH - 8, y: 0.5 }} stroke={TEXT} />
      {keys.map((key) => {
        const centre = (x(key) ?? 0) + x.bandwidth() / 2;
        return (
          <Group key={key}>
            <Line from={{ x: centre, y: 0 }} to={{ x: centre, y: 6 }} stroke={TEXT} />
            <text x={centre} y={20} fontSize={12} textAnchor="middle" fill={TEXT}>
              {labels.get(key) ?? key}
            </text>
          </Group>
        );
      })}
    </Group>
  );
}

/** Vertical columns grouped by row, one column per series, on a labelled axis. */
function Columns({ table }: { table: OversightTable }) {
  const chartId = `chart-${table.id}`;
  const top = legendHeight(table) + 16;
  const plotHeight = 220;
  const margin = { left: 44, bottom: 40 };
  const height = top + plotHeight + margin.bottom;
  const x = scaleBand<string>({
    domain: table.rows.map((row) => row.key),
    range: [margin.left, WIDTH - 8],
    padding: 0.2,
  });
  const inner = scaleBand<number>({
    domain: table.series.map((_, index) => index),
    range: [0, x.bandwidth()],
    padding: 0.08,
  });
  const y = scaleLinear<number>({
    domain: [0, largest(table)],
    range: [plotHeight, 0],
    nice: true,
  });
  const labelled = table.rows.length * table.series.length <= 40;
  const labels = new Map(table.rows.map((row) => [row.key, shortLabel(table, row.key, row.label)]));
  return (
    <ChartFrame table={table} height={height}>
      <Group top={top}>
        {table.rows.map((row) =>
          row.values.map((value, index) => {
            const left = (x(row.key) ?? 0) + (inner(index) ?? 0);
            const barTop = y(value);
            return (
              <Group key={`${row.key}-${index}`}>
                <Bar
                  x={left}
                  y={barTop}
                  width={inner.bandwidth()}
                  height={plotHeight - barTop}
                  fill={seriesFill(chartId, index)}
                  stroke={TEXT}
                  strokeWidth={value > 0 ? 1 : 0}
                />
                {labelled && value > 0 ? (
                  <text
                    className="app-chart__value"
                    x={left + inner.bandwidth() / 2}
                    y={barTop - 4}
                    fontSize={12}
                    textAnchor="middle"
                    fill={TEXT}
                  >
                    {value}
                  </text>
                ) : null}
              </Group>
            );
          }),
        )}
        {y.ticks(4).map((tick) => (
          <Group key={tick} top={y(tick)}>
            <Line from={{ x: margin.left - 5, y: 0 }} to={{ x: margin.left, y: 0 }} stroke={TEXT} />
            <text x={margin.left - 8} y={4} fontSize={12} textAnchor="end" fill={TEXT}>
              {String(tick)}
            </text>
          </Group>
        ))}
        <Line
          from={{ x: margin.left, y: 0 }}
          to={{ x: margin.left, y: plotHeight }}
          stroke={TEXT}
        />
        <BottomAxis
          top={plotHeight}
          x={x}
          keys={everyNth(table.rows.map((row) => row.key))}
          labels={labels}
          from={margin.left}
        />
      </Group>
    </ChartFrame>
  );
}

/** A coordinate to one decimal place: finer than a printer's dot at the chart's size. */
const round = (value: number) => Math.round(value * 10) / 10;

/** One small column chart per series on a shared scale, each labelled with its name and total. */
function SmallMultiples({ table }: { table: OversightTable }) {
  const chartId = `chart-${table.id}`;
  const plotHeight = 48;
  const labelHeight = 22;
  const gap = 14;
  const multipleHeight = labelHeight + plotHeight + gap;
  const axisHeight = 28;
  const height = table.series.length * multipleHeight + axisHeight;
  const margin = { left: 36 };
  const x = scaleBand<string>({
    domain: table.rows.map((row) => row.key),
    range: [margin.left, WIDTH - 8],
    padding: 0.15,
  });
  const y = scaleLinear<number>({ domain: [0, largest(table)], range: [plotHeight, 0] });
  const most = largest(table);
  const labels = new Map(table.rows.map((row) => [row.key, shortLabel(table, row.key, row.label)]));
  return (
    <ChartFrame table={table} height={height}>
      {table.series.map((series, index) => {
        const total = table.rows.reduce((sum, row) => sum + (row.values[index] ?? 0), 0);
        return (
          <Group key={series.key} top={index * multipleHeight}>
            <text y={16} fontSize={14} fill={TEXT}>
              <tspan fontWeight="bold">{series.label}</tspan>
              <tspan fill={SECONDARY_TEXT}>{` (${total} in all)`}</tspan>
            </text>
            <Group top={labelHeight}>
              <text x={margin.left - 6} y={10} fontSize={11} textAnchor="end" fill={SECONDARY_TEXT}>
                {most}
              </text>
              <text
                x={margin.left - 6}
                y={plotHeight}
                fontSize={11}
                textAnchor="end"
                fill={SECONDARY_TEXT}
              >
                0
              </text>
              {/* One path for all of a series' columns: a long period by many agencies would
                  otherwise be thousands of elements, and the page has a size budget. */}
              <path
                fill={seriesFill(chartId, 0)}
                d={table.rows
                  .map((row) => {
                    const top = y(row.values[index] ?? 0);
                    const left = x(row.key) ?? 0;
                    return `M${round(left)} ${round(plotHeight)}V${round(top)}h${round(x.bandwidth())}V${round(plotHeight)}z`;
                  })
                  .join("")}
              />
              <Line
                from={{ x: margin.left, y: plotHeight + 0.5 }}
                to={{ x: WIDTH - 8, y: plotHeight + 0.5 }}
                stroke={TEXT}
              />
            </Group>
          </Group>
        );
      })}
      <BottomAxis
        top={table.series.length * multipleHeight - gap + 2}
        x={x}
        keys={everyNth(table.rows.map((row) => row.key))}
        labels={labels}
        from={margin.left}
      />
    </ChartFrame>
  );
}

/** The chart for one dashboard table, by its kind. */
export function OversightChart({ table }: { table: OversightTable }) {
  if (table.chart === "small-multiples") return <SmallMultiples table={table} />;
  if (table.chart === "columns") return <Columns table={table} />;
  return <Bars table={table} />;
}
