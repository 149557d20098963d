// Line chart: series of (x, y) points on linear or log axes, with optional vertical markers
// (e.g. the model's expected p50). CDFs and latency-per-concurrency lines are drawn with it.
import { linearTicks, logTicks, scaleOf, type ScaleKind, type Ticks } from "./scale.js";
import { approximateTextWidth, baseAxis, chartFrame, chartSvg, element, LABEL_HALO, plotBottom, plotRight, text, valueAxis, type LegendItem } from "./svg.js";

export interface LinePoint {
  readonly x: number;
  readonly y: number;
}

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  /** Joined in order by straight segments (a staircase is given as its corners). */
  readonly points: readonly LinePoint[];
  readonly dashed?: boolean;
  /** A dot on every point, for series with few points. */
  readonly dots?: boolean;
}

/** A dashed vertical line at `x` with a label at its top. */
export interface VerticalMarker {
  readonly x: number;
  readonly label: string;
  readonly color: string;
}

export interface AxisSpec {
  readonly label: string;
  readonly kind: ScaleKind;
  readonly format: (v: number) => string;
  /** Fixed ticks (e.g. 0%..100%, or the concurrency levels); otherwise round values that fit the data. */
  readonly ticks?: readonly number[];
  /** Start a linear axis at zero even when the data starts above it. */
  readonly fromZero?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly series: readonly LineSeries[];
  readonly markers?: readonly VerticalMarker[];
  readonly width?: number;
  readonly height?: number;
}

const drawable = (axis: AxisSpec) => (v: number) => Number.isFinite(v) && (axis.kind === "linear" || v > 0);

/** The domain and ticks of an axis showing `values` (already filtered to drawable ones). */
function axisTicks(axis: AxisSpec, values: readonly number[]): Ticks {
  const all = [...values, ...(axis.ticks ?? []), ...(axis.fromZero === true && axis.kind === "linear" ? [0] : [])];
  if (all.length === 0) return axis.kind === "log" ? logTicks(1, 10) : linearTicks(0, 1);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  if (axis.ticks !== undefined) {
    if (lo < hi) return { min: lo, max: hi, values: axis.ticks };
    return axis.kind === "log" ? { min: lo / 2, max: hi * 2, values: axis.ticks } : { min: lo - 1, max: hi + 1, values: axis.ticks };
  }
  return axis.kind === "log" ? logTicks(lo, hi) : linearTicks(lo, hi);
}

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 520;
  const height = spec.height ?? 300;
  const markers = (spec.markers ?? []).filter((m) => drawable(spec.x)(m.x));
  const legendItems: LegendItem[] = spec.series.map((s) => ({ name: s.name, color: s.color, swatch: s.dashed === true ? "dashed-line" : "line" }));
  const { area, header } = chartFrame(width, height, spec.title, legendItems);

  const seriesPoints = spec.series.map((s) => s.points.filter((p) => drawable(spec.x)(p.x) && drawable(spec.y)(p.y)));
  const xTicks = axisTicks(spec.x, [...seriesPoints.flat().map((p) => p.x), ...markers.map((m) => m.x)]);
  const yTicks = axisTicks(spec.y, seriesPoints.flat().map((p) => p.y));
  const x = scaleOf(spec.x.kind, [xTicks.min, xTicks.max], [area.left, area.left + area.width]);
  const y = scaleOf(spec.y.kind, [yTicks.min, yTicks.max], [plotBottom(area), area.top]);

  const lines = spec.series.map((s, i) => {
    const points = seriesPoints[i] ?? [];
    if (points.length === 0) return "";
    const common = { stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashed === true ? "6 4" : undefined };
    const path =
      points.length === 1
        ? ""
        : element("polyline", {
            class: "series",
            "data-series": s.name,
            fill: "none",
            "stroke-linejoin": "round",
            ...common,
            points: points.map((p) => `${round2(x(p.x))},${round2(y(p.y))}`).join(" "),
          });
    const dots = s.dots === true || points.length === 1 ? points.map((p) => element("circle", { cx: x(p.x), cy: y(p.y), r: 3, fill: s.color })).join("") : "";
    return path + dots;
  });

  const markerLines = markers.map((m) => {
    const px = x(m.x);
    return element("line", { class: "marker", x1: px, y1: area.top, x2: px, y2: plotBottom(area), stroke: m.color, "stroke-width": 1.5, "stroke-dasharray": "3 3" });
  });
  // Labels stack down from the top, each beside its line: right of it, or left where it would leave the plot.
  const markerLabels = markers.map((m, i) => {
    const px = x(m.x);
    const fitsRight = px + 4 + approximateTextWidth(m.label) <= plotRight(area);
    return text(fitsRight ? px + 4 : px - 4, area.top + 12 + i * 14, m.label, { fill: m.color, "text-anchor": fitsRight ? "start" : "end", ...LABEL_HALO });
  });

  const noData = seriesPoints.every((p) => p.length === 0) ? text(area.left + area.width / 2, area.top + area.height / 2, "no data", { "text-anchor": "middle", fill: "#999" }) : "";
  const xLabels = xTicks.values.map((v) => ({ x: x(v), label: spec.x.format(v) }));
  return chartSvg(
    width,
    height,
    spec.title,
    header +
      valueAxis(area, yTicks.values, y, spec.y.format, spec.y.label) +
      baseAxis(area, xLabels, spec.x.label, true) +
      element("g", { class: "markers" }, markerLines.join("")) +
      element("g", { class: "lines" }, lines.join("")) +
      element("g", { class: "marker-labels" }, markerLabels.join("")) +
      noData,
  );
}

function round2(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`a chart coordinate must be finite, got ${v}`);
  return String(Math.round(v * 100) / 100);
}
