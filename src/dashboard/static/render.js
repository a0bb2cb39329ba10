// Building blocks of the pages: elements, headline numbers, tables with bars,
// CSV buttons and uPlot time series.
import uPlot from '/dashboard/vendor/uPlot.esm.js';
import { download } from './api.js';

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const RATE = /(_rate)$/;
const USD = /(_usd|^cost_per_\w+)$/;
const MS = /_ms$/;

/** How a value is shown; the exact value stays in data-value. */
export function format(key, v) {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'number') {
    if (RATE.test(key)) return `${(v * 100).toFixed(1)} %`;
    if (USD.test(key)) return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(v) < 1 ? 4 : 2 })}`;
    if (MS.test(key)) return `${Math.round(v).toLocaleString('en-US')} ms`;
    if (key.endsWith('minutes')) return `${v.toFixed(1)} min`;
    return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(v)) return v.slice(0, 19).replace('T', ' ');
  return String(v);
}

const exact = (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function kpiStrip(kpis, labels) {
  return el('div', { class: 'kpis' }, ...Object.entries(labels).filter(([id]) => id in kpis).map(([id, label]) =>
    el('div', { class: 'kpi', 'data-kpi': id, 'data-value': exact(kpis[id]) }, el('span', { class: 'kpi-value' }, format(id, kpis[id])), el('span', { class: 'kpi-label' }, label))));
}

/** A table of rows; `bar` names a numeric column drawn as a bar beside its value. */
export function dataTable(t, { bar, link, limit = 50 } = {}) {
  if (!t || t.rows.length === 0) return el('p', { class: 'empty' }, 'No data for these filters.');
  const max = bar ? Math.max(...t.rows.map((r) => Math.abs(Number(r[bar]) || 0)), 0) : 0;
  const head = el('tr', {}, ...t.columns.map((c) => el('th', { scope: 'col' }, c.replaceAll('_', ' '))));
  const body = t.rows.slice(0, limit).map((r) => el('tr', {}, ...t.columns.map((c) => {
    const v = r[c];
    const text = format(c, v);
    const td = el('td', { 'data-col': c, 'data-value': exact(v), class: typeof v === 'number' ? 'num' : undefined });
    if (link && c === link.column) td.append(el('a', { href: link.href(r) }, text));
    else td.append(text);
    if (c === bar && max > 0) {
      const b = el('span', { class: 'bar' });
      b.style.width = `${(Math.abs(Number(v) || 0) / max) * 100}%`;
      td.prepend(b);
    }
    return td;
  })));
  return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
}

export function csvButton(url, name) {
  return el('button', { type: 'button', class: 'csv', 'data-csv': name, onclick: () => download(url, `${name}.csv`).catch((e) => alert(e.message)) }, 'CSV');
}

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

/** A uPlot chart of rows {x, series, value}: one line per series, days on the x axis. */
export function timeSeries(rows, { x, series, value, title }) {
  const box = el('div', { class: 'chart', 'data-chart': title });
  if (rows.length === 0) return box;
  const xs = [...new Set(rows.map((r) => r[x]))].sort();
  const names = series ? [...new Set(rows.map((r) => r[series] ?? '(none)'))].sort() : [value];
  const index = new Map(xs.map((d, i) => [d, i]));
  const data = [xs.map((d) => Date.parse(`${String(d).slice(0, 10)}T00:00:00Z`) / 1000), ...names.map(() => xs.map(() => null))];
  for (const r of rows) {
    const s = series ? names.indexOf(r[series] ?? '(none)') : 0;
    const col = data[s + 1];
    col[index.get(r[x])] = (col[index.get(r[x])] ?? 0) + (Number(r[value]) || 0);
  }
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const axis = { stroke: dark ? '#cbd5e1' : '#334155', grid: { stroke: dark ? '#334155' : '#e2e8f0' } };
  const draw = () => {
    box.replaceChildren();
    const width = Math.max(240, box.clientWidth || 600);
    new uPlot({
      width, height: 200, title,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      // One day alone would give uPlot an empty x range.
      scales: { x: { time: true, ...(xs.length === 1 ? { range: [data[0][0] - 86400, data[0][0] + 86400] } : {}) } },
      axes: [axis, { ...axis, size: 60 }],
      series: [{}, ...names.map((n, i) => ({ label: String(n), stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: xs.length < 40 } }))],
    }, data, box);
  };
  let last = 0;
  new ResizeObserver(() => {
    const w = box.clientWidth;
    if (Math.abs(w - last) > 20) { last = w; draw(); }
  }).observe(box);
  return box;
}
