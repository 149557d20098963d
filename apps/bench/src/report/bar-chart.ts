// Grouped bar chart: one group per category, one bar per series, heights from zero on a linear
// axis so that a bar twice as tall is a value twice as large.
import { escapeText } from "./format.js";
import { linearTicks, scaleOf } from "./scale.js";
import { approximateTextWidth, baseAxis, chartFrame, chartSvg, element, LABEL_HALO, plotBottom, plotRight, text, valueAxis } from "./svg.js";

export interface BarSeries {
  readonly name: string;
  readonly color: string;
  /** One value per category, in the categories' order; undefined leaves a gap. */
  readonly values: readonly (number | undefined)[];
}

/** A horizontal dashed line across the plot, e.g. a target. */
export interface ReferenceLine {
  readonly value: number;
  readonly label: string;
}

export interface BarChartSpec {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  readonly categoryAxisLabel: string;
  readonly valueAxisLabel: string;
  /** The figure written above each bar (when it fits) and in its tooltip. */
  readonly formatValue: (v: number) => string;
  /** Tick labels on the value axis. */
  readonly formatTick: (v: number) => string;
  readonly referenceLines?: readonly ReferenceLine[];
  readonly width?: number;
  readonly height?: number;
}

const GROUP_PADDING = 0.2;
const BAR_GAP = 2;
const BAR_LABEL_FONT_SIZE = 10;

export function groupedBarChart(spec: BarChartSpec): string {
  const width = spec.width ?? 520;
  const height = spec.height ?? 300;
  const { area, header } = chartFrame(
    width,
    height,
    spec.title,
    spec.series.map((s) => ({ name: s.name, color: s.color, swatch: "box" as const })),
  );
  const references = spec.referenceLines ?? [];
  const figures = [...spec.series.flatMap((s) => s.values), ...references.map((r) => r.value)].filter(
    (v): v is number => v !== undefined && Number.isFinite(v),
  );
  const ticks = linearTicks(Math.min(0, ...figures), Math.max(0, ...figures));
  const y = scaleOf("linear", [ticks.min, ticks.max], [plotBottom(area), area.top]);
  const zero = y(0);

  const groupWidth = area.width / Math.max(1, spec.categories.length);
  const slot = (groupWidth * (1 - GROUP_PADDING)) / Math.max(1, spec.series.length);
  const barWidth = Math.max(1, slot - BAR_GAP);
  const bars: string[] = [];
  spec.categories.forEach((category, c) => {
    const groupLeft = area.left + c * groupWidth + (groupWidth * GROUP_PADDING) / 2;
    spec.series.forEach((s, i) => {
      const value = s.values[c];
      if (value === undefined || !Number.isFinite(value)) return;
      const top = Math.min(y(value), zero);
      const barHeight = Math.abs(zero - y(value));
      const x = groupLeft + i * slot + BAR_GAP / 2;
      const figure = spec.formatValue(value);
      bars.push(
        element(
          "rect",
          { class: "bar", "data-series": s.name, "data-category": category, x, y: top, width: barWidth, height: barHeight, fill: s.color },
          element("title", {}, escapeText(`${s.name}, ${category}: ${figure}`)),
        ),
      );
      if (approximateTextWidth(figure, BAR_LABEL_FONT_SIZE) <= slot + 2) {
        bars.push(text(x + barWidth / 2, top - 4, figure, { "text-anchor": "middle", "font-size": BAR_LABEL_FONT_SIZE, fill: "#333", ...LABEL_HALO }));
      }
    });
  });

  const referenceMarks = references.map((r) => {
    const py = y(r.value);
    return (
      element("line", { x1: area.left, y1: py, x2: plotRight(area), y2: py, stroke: "#c0392b", "stroke-width": 1.5, "stroke-dasharray": "6 4" }) +
      text(plotRight(area) - 4, py - 5, r.label, { "text-anchor": "end", fill: "#c0392b", ...LABEL_HALO })
    );
  });

  const categoryLabels = spec.categories.map((label, c) => ({ x: area.left + (c + 0.5) * groupWidth, label }));
  return chartSvg(
    width,
    height,
    spec.title,
    header +
      valueAxis(area, ticks.values, y, spec.formatTick, spec.valueAxisLabel) +
      element("g", { class: "bars" }, bars.join("")) +
      element("g", { class: "references" }, referenceMarks.join("")) +
      baseAxis(area, categoryLabels, spec.categoryAxisLabel, false),
  );
}
