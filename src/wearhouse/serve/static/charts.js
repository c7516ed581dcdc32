// Chart.js (vendored, window.Chart) with the dashboard's theme, and a registry of live charts.
//
// Every chart's canvas carries data-chart="<name>" and data-points="<non-empty values>", and
// window.wearhouse.charts[name] is the Chart instance, so a test or a curious reader can check
// that a chart shows data, not just that a canvas exists.

import { el } from "./dom.js";

const registry = (window.wearhouse ??= { charts: {} }).charts;

/** The value of a CSS custom property of the current palette. */
export function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}

function points(data) {
  return data.datasets.reduce(
    (sum, set) => sum + set.data.filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).length,
    0,
  );
}

function defaults() {
  const Chart = window.Chart;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = color("muted");
  Chart.defaults.borderColor = color("grid");
  // Readers who ask for less motion (and screenshots) get charts drawn at once.
  Chart.defaults.animation.duration = matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 250;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 10;
  Chart.defaults.plugins.legend.labels.boxHeight = 10;
  Chart.defaults.plugins.tooltip.backgroundColor = "rgba(20, 24, 31, 0.92)";
  Chart.defaults.plugins.tooltip.padding = 10;
  Chart.defaults.plugins.tooltip.cornerRadius = 6;
  Chart.defaults.elements.bar.borderRadius = 3;
  // Straight segments between days: a curve would invent values between them.
  Chart.defaults.elements.line.tension = 0;
  Chart.defaults.elements.point.radius = 0;
  Chart.defaults.elements.point.hoverRadius = 4;
}

/** Destroy every chart (a page is being replaced). */
export function clearCharts() {
  for (const [name, chart] of Object.entries(registry)) {
    if (name.startsWith("live")) continue; // the live tile outlives pages
    chart.destroy();
    delete registry[name];
  }
}

/** A chart named `name` in a new box of class `cls`; returns the box to place in the page. */
export function chart(name, config, cls = "chart") {
  if (!window.Chart) throw new Error("the charting library did not load: /static/vendor/chart.umd.min.js");
  defaults();
  registry[name]?.destroy();
  const canvas = el("canvas", { "data-chart": name, "data-points": points(config.data), role: "img" });
  const box = el("div", { class: cls }, canvas);
  // Chart.js measures its box: create it once the box is in the document.
  requestAnimationFrame(() => {
    if (!canvas.isConnected) return;
    registry[name] = new window.Chart(canvas, config);
  });
  return box;
}

/** Replace the data of a chart in place (the live sparkline). */
export function update(name, labels, values) {
  const found = registry[name];
  if (!found) return;
  found.data.labels = labels;
  found.data.datasets[0].data = values;
  found.update("none");
  found.canvas.dataset.points = String(points(found.data));
}

/** A y axis with a title. */
export function axis(title, extra = {}) {
  return {
    beginAtZero: false,
    grid: { color: color("grid") },
    border: { display: false },
    title: { display: Boolean(title), text: title, color: color("faint") },
    ...extra,
  };
}

export const xAxis = { grid: { display: false }, border: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 14 } };
