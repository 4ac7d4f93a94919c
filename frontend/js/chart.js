// Bar charts as SVG, drawn by hand. A library was not worth vendoring: one bar chart of about
// 30 days, optionally stacked, is this page of code, and needs no dependency to update or audit.
// The chart is an image to assistive technology (role="img"); its numbers belong in a table
// beside it, which the caller provides.

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { top: 20, right: 6, bottom: 24 };
const FONT_SIZE = 11;

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

/** A round step (1, 2 or 5 times a power of ten, never below 1) that splits `max` in about `count`. */
function niceStep(max, count) {
  const rough = Math.max(max / count, 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((candidate) => candidate >= rough);
  return Math.max(1, step);
}

/** Under its bar; the last one ends at its bar's right edge so that it stays inside the chart. */
function axisLabel(text, x, y, last) {
  return svg("text", { class: "axis-label", x, y, "text-anchor": last ? "end" : "middle" }, text);
}

/**
 * items: [{key, axisLabel, title, values: [number per series]}], oldest first; an empty
 * axisLabel draws no label under that bar. series: [{className}], stacked bottom to top.
 * Returns an <svg role="img"> `width` pixels wide; draw it again when the width changes.
 */
export function barChart({
  items,
  series,
  width,
  height = 200,
  name,
  describedBy,
  formatValue = String,
  showTotals = true,
}) {
  const max = Math.max(0, ...items.map((item) => item.values.reduce((sum, value) => sum + value, 0)));
  const step = niceStep(max, 4);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  const left = 10 + Math.max(...ticks.map((value) => formatValue(value).length)) * FONT_SIZE * 0.62;
  const plotWidth = Math.max(10, width - left - MARGIN.right);
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / Math.max(1, items.length);
  const barWidth = Math.max(2, slot * 0.72);
  const y = (value) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  // Numbers over the bars only where they fit; the busiest day and the last (today) always.
  const busiest = items.findIndex((item) => item.values.reduce((a, b) => a + b, 0) === max);

  const grid = ticks.map((value) =>
    svg(
      "g",
      { class: "tick" },
      svg("line", { x1: left, x2: left + plotWidth, y1: y(value), y2: y(value) }),
      svg("text", { x: left - 6, y: y(value), "text-anchor": "end", "dominant-baseline": "middle" }, formatValue(value)),
    ),
  );

  const bars = items.map((item, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    const total = item.values.reduce((sum, value) => sum + value, 0);
    let base = 0;
    const rects = item.values.map((value, part) => {
      const rect = svg("rect", {
        class: series[part].className,
        x,
        width: barWidth,
        y: y(base + value),
        height: Math.max(0, y(base) - y(base + value)),
      });
      base += value;
      return rect;
    });
    const centre = x + barWidth / 2;
    const last = index === items.length - 1;
    const labelled = showTotals && total > 0 && (slot >= 18 || index === busiest || last);
    return svg(
      "g",
      { class: `bar${total ? "" : " zero"}`, "data-day": item.key },
      svg("title", {}, item.title),
      // A hit area the height of the plot, so a short bar's tooltip is easy to reach.
      svg("rect", { class: "hit", x: left + index * slot, width: slot, y: MARGIN.top, height: plotHeight }),
      total ? rects : svg("rect", { class: "empty-day", x, width: barWidth, y: y(0) - 2, height: 2 }),
      labelled
        ? svg("text", { class: "value", x: centre, y: y(total) - 4, "text-anchor": "middle" }, formatValue(total))
        : null,
      item.axisLabel ? axisLabel(item.axisLabel, last ? x + barWidth : centre, height - 6, last) : null,
    );
  });

  return svg(
    "svg",
    {
      class: "bar-chart",
      role: "img",
      "aria-label": name,
      "aria-describedby": describedBy,
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      "font-size": FONT_SIZE,
    },
    grid,
    svg("line", { class: "baseline", x1: left, x2: left + plotWidth, y1: y(0), y2: y(0) }),
    bars,
  );
}
