/**
 * The fleet benchmark's chart as a self-contained SVG: throughput (left) and peak memory of the stack
 * and of the fleet (right) against fleet size, fleet size on a log scale since sizes grow by decades.
 */

export interface ChartPoint {
  readonly size: number;
  readonly rotationsPerSecond: number;
  readonly stackPeakRssMb: number;
  readonly fleetPeakRssMb: number;
}

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly values: readonly number[];
}

const WIDTH = 900;
const HEIGHT = 360;
const PANEL = { width: 340, height: 240, top: 60 };
// Room on the right of each panel for the last size's label.
const LEFTS = [80, 530] as const;

export function renderFleetChart(points: readonly ChartPoint[], title = 'recert fleet benchmark'): string {
  if (points.length === 0) throw new RangeError('the chart needs at least one fleet size');
  for (const p of points) {
    const values = [p.size, p.rotationsPerSecond, p.stackPeakRssMb, p.fleetPeakRssMb];
    if (!values.every((v) => Number.isFinite(v) && v >= 0) || p.size < 1) {
      throw new RangeError(`fleet size ${p.size}: every figure must be a finite number >= 0, size >= 1`);
    }
  }
  const sorted = [...points].sort((a, b) => a.size - b.size);
  const sizes = sorted.map((p) => p.size);
  const throughput = panel(LEFTS[0], 'rotations per second', 'rotations/s', sizes, [
    { label: 'throughput', colour: '#1f77b4', values: sorted.map((p) => p.rotationsPerSecond) },
  ]);
  const memory = panel(LEFTS[1], 'peak memory (RSS)', 'MiB', sizes, [
    { label: 'stack', colour: '#d62728', values: sorted.map((p) => p.stackPeakRssMb) },
    { label: 'fleet', colour: '#2ca02c', values: sorted.map((p) => p.fleetPeakRssMb) },
  ]);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`,
    throughput,
    memory,
    '</svg>',
    '',
  ].join('\n');
}

function panel(
  left: number,
  title: string,
  unit: string,
  sizes: readonly number[],
  series: readonly Series[],
): string {
  const { width, height, top } = PANEL;
  const bottom = top + height;
  const minLog = Math.log10(Math.min(...sizes));
  const maxLog = Math.log10(Math.max(...sizes));
  const spanLog = maxLog - minLog;
  // A single size sits in the middle of the axis.
  const x = (size: number): number =>
    spanLog === 0 ? left + width / 2 : left + ((Math.log10(size) - minLog) / spanLog) * width;
  const yMax = niceCeiling(Math.max(...series.flatMap((s) => s.values), 0));
  const y = (value: number): number => bottom - (value / yMax) * height;
  const out: string[] = [
    `<g>`,
    `<text x="${left + width / 2}" y="${top - 16}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${left + width}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="black"/>`,
    `<text x="${left + width / 2}" y="${bottom + 36}" text-anchor="middle">devices (log scale)</text>`,
    `<text x="${left - 50}" y="${top + height / 2}" text-anchor="middle" transform="rotate(-90 ${left - 50} ${top + height / 2})">${escapeXml(unit)}</text>`,
  ];
  for (let i = 0; i <= 4; i += 1) {
    const value = (yMax / 4) * i;
    out.push(
      `<line x1="${left}" y1="${fmt(y(value))}" x2="${left + width}" y2="${fmt(y(value))}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${fmt(y(value) + 4)}" text-anchor="end">${label(value)}</text>`,
    );
  }
  for (const size of sizes) {
    out.push(`<text x="${fmt(x(size))}" y="${bottom + 16}" text-anchor="middle">${size}</text>`);
  }
  series.forEach((s, index) => {
    const coords = sizes.map((size, i) => `${fmt(x(size))},${fmt(y(s.values[i] ?? 0))}`);
    out.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${coords.join(' ')}"/>`);
    for (const [i, size] of sizes.entries()) {
      const value = s.values[i] ?? 0;
      out.push(
        `<circle cx="${fmt(x(size))}" cy="${fmt(y(value))}" r="3.5" fill="${s.colour}"><title>${escapeXml(`${s.label}: ${label(value)} ${unit} at ${size} devices`)}</title></circle>`,
        `<text x="${fmt(x(size))}" y="${fmt(y(value) - 8)}" text-anchor="middle" fill="${s.colour}">${label(value)}</text>`,
      );
    }
    const legendY = top + 14 + index * 16;
    out.push(
      `<rect x="${left + 10}" y="${legendY - 9}" width="10" height="10" fill="${s.colour}"/>`,
      `<text x="${left + 26}" y="${legendY}">${escapeXml(s.label)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

/** The smallest of 1, 2 or 5 times a power of ten at or above `value`, so grid labels read well. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (n: number): string => n.toFixed(1);
const label = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
