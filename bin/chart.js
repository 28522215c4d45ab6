// @ts-check
// Benchmark charts as SVG (or an HTML page holding the SVG), rendered in Node by vega with a vega-lite spec: no
// browser, no canvas, no native build. Used by `sparsekit bench --chart` and by `npm run bench` (bench/results/*.svg).
// vega and vega-lite are ES modules, loaded on first use, so the library itself never loads them.
'use strict';

/**
 * @typedef {{ x: number, y: number, series: string }} Point
 * @typedef {{ title: string, xTitle: string, yTitle: string, xScale?: 'linear' | 'log', baseline?: { y: number, label: string },
 *   crossovers?: boolean }} ChartOptions
 */

/**
 * Where each series (other than the baseline's) crosses y = 1 going up, by linear interpolation between
 * neighbouring points: the x from which it beats the baseline.
 * @param {Point[]} points
 * @param {number} level
 * @returns {{ series: string, x: number }[]}
 */
function crossovers(points, level) {
  /** @type {Map<string, Point[]>} */
  const bySeries = new Map();
  for (const p of points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), p]);
  const out = [];
  for (const [series, list] of bySeries) {
    const sorted = [...list].sort((a, b) => a.x - b.x);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1], b = sorted[i];
      if (a.y < level && b.y >= level) {
        out.push({ series, x: a.x + ((level - a.y) * (b.x - a.x)) / (b.y - a.y) });
        break;
      }
    }
  }
  return out;
}

/**
 * An SVG line chart of the points, one line per series, with the baseline drawn as a dashed rule and, when asked,
 * each series' crossover of the baseline marked with a vertical rule and its x.
 * @param {Point[]} points
 * @param {ChartOptions} o
 * @returns {Promise<string>}
 */
async function renderChart(points, o) {
  const vega = await import('vega');
  // vega-lite declares its types under "exports" only, which this repository's node10 resolution does not read; it
  // is typed any here (its one call, compile(), is checked by the tests that render charts).
  const vlName = 'vega-lite';
  /** @type {any} */
  const vl = await import(vlName);
  const level = o.baseline?.y ?? 1;
  const marks = o.crossovers ? crossovers(points, level) : [];
  /** @type {any[]} */
  const layers = [
    {
      data: { values: points },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: o.xScale === 'log' ? { type: 'log' } : { zero: false } },
        y: { field: 'y', type: 'quantitative', title: o.yTitle },
        color: { field: 'series', type: 'nominal', title: 'format' },
      },
    },
  ];
  if (o.baseline) {
    layers.push({ data: { values: [{ y: level }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#444' }, encoding: { y: { field: 'y', type: 'quantitative' } } });
    layers.push({
      data: { values: [{ y: level, label: o.baseline.label }] },
      mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#444' },
      encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
    });
  }
  if (marks.length) {
    const values = marks.map((m) => ({ x: m.x, label: `${m.series} crosses at ${o.xScale === 'log' ? m.x.toFixed(0) : m.x.toFixed(2)}` }));
    layers.push({ data: { values }, mark: { type: 'rule', color: '#c00' }, encoding: { x: { field: 'x', type: 'quantitative' } } });
    layers.push({ data: { values }, mark: { type: 'text', angle: 270, align: 'right', dx: -4, dy: -4, color: '#c00' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } });
  }
  const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: o.title, width: 520, height: 300, layer: layers };
  const view = new vega.View(vega.parse(vl.compile(/** @type {any} */ (spec)).spec), { renderer: 'none', logLevel: vega.Error });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** An HTML page showing an SVG chart. @param {string} svg @param {string} title */
function chartPage(svg, title) {
  const esc = title.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc}</title></head>\n<body style="margin:0;background:#fff">\n${svg}\n</body></html>\n`;
}

module.exports = { renderChart, chartPage, crossovers };
