// Runs over time: the daily series drawn with recharts. Colours come from the
// design tokens (read once from the stylesheet), so the chart matches the app.

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { DayPoint } from "@/api";

import { shortDate } from "./figures";
import styles from "./Analytics.module.css";

function token(name: string, fallback: string): string {
  if (typeof document === "undefined") return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

type Props = { series: DayPoint[] };

/** Started as bars; completed, converted and failed as lines, per local day. */
export function SeriesChart({ series }: Props) {
  const colors = {
    started: token("--color-border-strong", "#cfc7ba"),
    completed: token("--color-accent", "#2f6f73"),
    conversions: token("--color-success", "#2d7a46"),
    failed: token("--color-danger", "#b3382c"),
    grid: token("--color-border", "#e4dfd6"),
    text: token("--color-text-muted", "#5f6b6f"),
  };
  const axis = { fontSize: 12, fill: colors.text };
  return (
    <div className={styles.chart} data-testid="series-chart" data-days={series.length}>
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 800, height: 260 }}>
        <ComposedChart data={series} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="date" tickFormatter={shortDate} tick={axis} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={24} />
          <YAxis allowDecimals={false} tick={axis} tickLine={false} axisLine={false} />
          <Tooltip labelFormatter={(d) => (typeof d === "string" ? shortDate(d) : "")} />
          <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="started" name="Started" fill={colors.started} radius={[3, 3, 0, 0]} maxBarSize={28} isAnimationActive={false} />
          <Line dataKey="completed" name="Completed" stroke={colors.completed} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line dataKey="conversions" name="Conversions" stroke={colors.conversions} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line dataKey="failed" name="Failed" stroke={colors.failed} strokeWidth={2} dot={false} strokeDasharray="4 3" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
