// The pieces every chart is made of: elements, the frame with its title and legend, axes with
// grid lines. Charts are plain strings of SVG so they inline into the HTML page.
import { escapeText } from "./format.js";

export type Attributes = Readonly<Record<string, string | number | undefined>>;

/** Pixel coordinates to two decimals: small output, no visible difference. */
function attributeValue(v: string | number): string {
  if (typeof v === "string") return escapeText(v);
  if (!Number.isFinite(v)) throw new RangeError(`a chart attribute must be a finite number, got ${v}`);
  return String(Math.round(v * 100) / 100);
}

/** One element; `content` is SVG markup already made safe (use `text` for words). */
export function element(name: string, attributes: Attributes, content = ""): string {
  const attrs = Object.entries(attributes)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${attributeValue(v)}"`)
    .join("");
  return content === "" ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** A text element; the words are escaped. */
export function text(x: number, y: number, words: string, attributes: Attributes = {}): string {
  return element("text", { x, y, ...attributes }, escapeText(words));
}

/** A white outline under a label's letters, so it stays legible where it crosses lines or bars. */
export const LABEL_HALO: Attributes = { stroke: "#fff", "stroke-width": 3, "stroke-linejoin": "round", "paint-order": "stroke" };

export const FONT_SIZE = 11;
export const TITLE_FONT_SIZE = 13;

/** A width guess for text in a sans-serif font, enough to lay out legends and skip labels that do not fit. */
export function approximateTextWidth(words: string, fontSize = FONT_SIZE): number {
  return words.length * fontSize * 0.6;
}

/** The rectangle the data is drawn in, in pixels. */
export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export const plotRight = (a: PlotArea) => a.left + a.width;
export const plotBottom = (a: PlotArea) => a.top + a.height;

export interface LegendItem {
  readonly name: string;
  readonly color: string;
  /** How the swatch looks: a filled box for bars, a line (solid or dashed) for lines. */
  readonly swatch: "box" | "line" | "dashed-line";
}

const LEGEND_ROW_HEIGHT = 16;

/** Legend items in rows from (x, y), wrapping at `maxWidth`; returns the markup and the height taken. */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): { readonly svg: string; readonly height: number } {
  if (items.length === 0) return { svg: "", height: 0 };
  const parts: string[] = [];
  let column = 0;
  let row = 0;
  for (const item of items) {
    const itemWidth = 18 + approximateTextWidth(item.name) + 14;
    if (column > 0 && column + itemWidth > maxWidth) {
      column = 0;
      row++;
    }
    const cx = x + column;
    const cy = y + row * LEGEND_ROW_HEIGHT;
    parts.push(
      item.swatch === "box"
        ? element("rect", { x: cx, y: cy - 9, width: 12, height: 10, fill: item.color })
        : element("line", {
            x1: cx,
            y1: cy - 4,
            x2: cx + 14,
            y2: cy - 4,
            stroke: item.color,
            "stroke-width": 2,
            "stroke-dasharray": item.swatch === "dashed-line" ? "4 3" : undefined,
          }),
      text(cx + 18, cy, item.name, { fill: "#333" }),
    );
    column += itemWidth;
  }
  return { svg: element("g", { class: "legend" }, parts.join("")), height: (row + 1) * LEGEND_ROW_HEIGHT };
}

/** Horizontal grid lines with their labels at the left of the plot, and the axis name turned upright. */
export function valueAxis(area: PlotArea, ticks: readonly number[], y: (v: number) => number, format: (v: number) => string, label: string): string {
  const parts = ticks.map((t) => {
    const py = y(t);
    return (
      element("line", { x1: area.left, y1: py, x2: plotRight(area), y2: py, stroke: "#e3e3e3" }) +
      text(area.left - 6, py + 4, format(t), { "text-anchor": "end", fill: "#555" })
    );
  });
  const cx = 12;
  const cy = area.top + area.height / 2;
  parts.push(text(cx, cy, label, { "text-anchor": "middle", transform: `rotate(-90 ${cx} ${cy})`, fill: "#333" }));
  parts.push(element("line", { x1: area.left, y1: area.top, x2: area.left, y2: plotBottom(area), stroke: "#888" }));
  return element("g", { class: "axis y" }, parts.join(""));
}

/** The baseline with labels under it (numeric ticks or category names) and the axis name below them. */
export function baseAxis(area: PlotArea, labels: readonly { readonly x: number; readonly label: string }[], name: string, withTickMarks: boolean): string {
  const bottom = plotBottom(area);
  const parts = labels.map(
    ({ x, label }) =>
      (withTickMarks ? element("line", { x1: x, y1: bottom, x2: x, y2: bottom + 4, stroke: "#888" }) : "") +
      text(x, bottom + 16, label, { "text-anchor": "middle", fill: "#555" }),
  );
  parts.push(element("line", { x1: area.left, y1: bottom, x2: plotRight(area), y2: bottom, stroke: "#888" }));
  parts.push(text(area.left + area.width / 2, bottom + 34, name, { "text-anchor": "middle", fill: "#333" }));
  return element("g", { class: "axis x" }, parts.join(""));
}

/** Room around the plot for the title and legend above, tick labels and axis names around. */
export const MARGIN = { left: 62, right: 18, bottom: 44, titleHeight: 24, legendGap: 10 } as const;

export interface ChartFrame {
  readonly area: PlotArea;
  /** The title and legend, to put first inside the chart. */
  readonly header: string;
}

/** Lays out title and legend at the top of a `width` x `height` chart and returns the plot area left under them. */
export function chartFrame(width: number, height: number, title: string, legendItems: readonly LegendItem[]): ChartFrame {
  const titleSvg = text(MARGIN.left, 17, title, { "font-size": TITLE_FONT_SIZE, "font-weight": "bold", fill: "#111" });
  const legendBlock = legend(legendItems, MARGIN.left, MARGIN.titleHeight + 12, width - MARGIN.left - MARGIN.right);
  const top = MARGIN.titleHeight + legendBlock.height + MARGIN.legendGap;
  const area = { left: MARGIN.left, top, width: width - MARGIN.left - MARGIN.right, height: height - top - MARGIN.bottom };
  return { area, header: titleSvg + legendBlock.svg };
}

/** The outer element: a fixed coordinate space that scales down to the page width. */
export function chartSvg(width: number, height: number, title: string, content: string): string {
  return element(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": title,
      "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
      "font-size": FONT_SIZE,
    },
    element("title", {}, escapeText(title)) + element("rect", { x: 0, y: 0, width, height, fill: "#fff" }) + content,
  );
}
