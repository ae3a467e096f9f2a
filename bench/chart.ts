/**
 * The contention chart as hand-written SVG (no chart library): goodput
 * relative to one client, and HTTP requests per applied increment, each
 * against the number of clients on a log2 axis.
 */

export interface ChartPoint {
  readonly n: number;
  readonly ratio: number;
  readonly requestsPerSuccess: number;
}

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly points: readonly ChartPoint[];
}

interface Panel {
  readonly title: string;
  readonly x0: number;
  readonly value: (p: ChartPoint) => number;
  /** Maps a value to a fraction of the plot height, 0 at the bottom. */
  readonly scale: (v: number) => number;
  readonly ticks: readonly number[];
  readonly tickLabel: (v: number) => string;
}

const WIDTH = 960;
const PLOT_W = 380;
const PLOT_H = 260;
const TOP = 60;
const FAMILY = 'font-family="system-ui, sans-serif"';
const FONT = `${FAMILY} font-size="12"`;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number): string => v.toFixed(1);

/** Powers of two from 1 up to the first one at or above `max`. */
const powersOfTwo = (max: number): number[] => {
  const out = [1];
  while ((out.at(-1) ?? 1) < max) out.push((out.at(-1) ?? 1) * 2);
  return out;
};

const renderPanel = (panel: Panel, series: readonly ChartSeries[], ns: number[]): string => {
  const { x0 } = panel;
  const maxLog = Math.max(1, Math.log2(Math.max(...ns)));
  const x = (n: number) => x0 + (Math.log2(n) / maxLog) * PLOT_W;
  const y = (v: number) => TOP + PLOT_H - Math.min(1, Math.max(0, panel.scale(v))) * PLOT_H;
  const parts: string[] = [
    `<text x="${x0 + PLOT_W / 2}" y="${TOP - 16}" text-anchor="middle" ${FONT} font-weight="600">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0}" y="${TOP}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#999"/>`,
  ];
  for (const t of panel.ticks) {
    parts.push(
      `<line x1="${x0}" x2="${x0 + PLOT_W}" y1="${num(y(t))}" y2="${num(y(t))}" stroke="#e5e5e5"/>`,
      `<text x="${x0 - 6}" y="${num(y(t) + 4)}" text-anchor="end" ${FONT}>${panel.tickLabel(t)}</text>`,
    );
  }
  for (const n of powersOfTwo(Math.max(...ns))) {
    parts.push(
      `<line x1="${num(x(n))}" x2="${num(x(n))}" y1="${TOP}" y2="${TOP + PLOT_H}" stroke="#f0f0f0"/>`,
      `<text x="${num(x(n))}" y="${TOP + PLOT_H + 16}" text-anchor="middle" ${FONT}>${n}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + PLOT_W / 2}" y="${TOP + PLOT_H + 34}" text-anchor="middle" ${FONT}>clients N (log2)</text>`,
  );
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(panel.value(p)));
    const coords = points.map((p) => `${num(x(p.n))},${num(y(panel.value(p)))}`);
    parts.push(
      `<polyline points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`,
      ...points.map(
        (p) =>
          `<circle cx="${num(x(p.n))}" cy="${num(y(panel.value(p)))}" r="3.5" fill="${s.color}"><title>${escapeXml(`${s.label}, N=${p.n}: ${panel.value(p).toFixed(2)}`)}</title></circle>`,
      ),
    );
  }
  return parts.join('\n');
};

/** Two side-by-side panels sharing a legend; `series` points are (N, ratio, requests/success). */
export const renderContentionChart = (series: readonly ChartSeries[]): string => {
  const all = series.flatMap((s) => s.points);
  const ns = [...new Set(all.map((p) => p.n))].sort((a, b) => a - b);
  const finite = (values: number[]) => values.filter(Number.isFinite);
  const ratioMax = Math.max(1.2, ...finite(all.map((p) => p.ratio)).map((v) => v * 1.1));
  const ratioStep = ratioMax > 3 ? 1 : ratioMax > 1.5 ? 0.5 : 0.25;
  const ratioTop = Math.ceil(ratioMax / ratioStep) * ratioStep;
  const ratioTicks = Array.from({ length: Math.round(ratioTop / ratioStep) + 1 }, (_, i) =>
    Number((i * ratioStep).toFixed(2)),
  );
  const rpsTicks = powersOfTwo(Math.max(2, ...finite(all.map((p) => p.requestsPerSuccess))));
  const rpsTop = Math.log2(rpsTicks.at(-1) ?? 2);

  const panels: Panel[] = [
    {
      title: 'goodput relative to N clients on N documents',
      x0: 70,
      value: (p) => p.ratio,
      scale: (v) => v / ratioTop,
      ticks: ratioTicks,
      tickLabel: (v) => `${v}×`,
    },
    {
      title: 'HTTP requests per applied increment (log2)',
      x0: 70 + PLOT_W + 90,
      value: (p) => p.requestsPerSuccess,
      scale: (v) => Math.log2(Math.max(1, v)) / rpsTop,
      ticks: rpsTicks,
      tickLabel: (v) => String(v),
    },
  ];
  const legendY = TOP + PLOT_H + 62;
  const legend = series
    .map((s, i) => ({ text: s.label, color: s.color, dash: '', i }))
    .map(({ text, color, dash, i }) => {
      const lx = 70 + (i % 2) * 420;
      const ly = legendY + Math.floor(i / 2) * 20;
      return [
        `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
        `<text x="${lx + 32}" y="${ly + 4}" ${FONT}>${escapeXml(text)}</text>`,
      ].join('\n');
    });
  const height = legendY + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" ${FAMILY} font-size="15" font-weight="600">Concord: N clients incrementing one document</text>`,
    ...panels.map((panel) => renderPanel(panel, series, ns)),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
};
