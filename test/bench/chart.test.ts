import { describe, expect, it } from 'vitest';
import { escapeXml, niceCeiling, renderFleetChart } from '../../bench/chart.ts';

const POINTS = [
  { size: 5000, rotationsPerSecond: 3.5, stackPeakRssMb: 900, fleetPeakRssMb: 610 },
  { size: 100, rotationsPerSecond: 4.2, stackPeakRssMb: 230, fleetPeakRssMb: 140 },
  { size: 1000, rotationsPerSecond: 4, stackPeakRssMb: 400, fleetPeakRssMb: 260 },
];

describe('fleet chart', () => {
  it('draws throughput and both memory series against fleet size, sizes in order on a log axis', () => {
    // Act
    const svg = renderFleetChart(POINTS, 'bench <test>');
    // Assess
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('bench &#60;test&#62;');
    const polylines = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(polylines).toHaveLength(3);
    // Sizes are drawn left to right; 1,000 sits at 1 decade of the 1.7 decades between 100 and 5,000.
    const xs = (polylines[0] ?? '').split(' ').map((pair) => Number(pair.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const [x100 = 0, x1000 = 0, x5000 = 0] = xs;
    expect((x1000 - x100) / (x5000 - x100)).toBeCloseTo(1 / Math.log10(50), 2);
    // Each point carries its figure as a tooltip.
    expect(svg).toContain('<title>stack: 900 MiB at 5000 devices</title>');
    expect(svg).toContain('<title>throughput: 4.2 rotations/s at 100 devices</title>');
  });

  it('draws a single fleet size in the middle of the axis', () => {
    const svg = renderFleetChart([POINTS[1] ?? POINTS[0]].flatMap((p) => (p ? [p] : [])));
    expect(svg).toContain('<circle');
    expect(svg).not.toContain('NaN');
  });

  it('refuses an empty chart and figures that are not finite', () => {
    expect(() => renderFleetChart([])).toThrow(/at least one/);
    expect(() =>
      renderFleetChart([{ size: 100, rotationsPerSecond: Number.NaN, stackPeakRssMb: 1, fleetPeakRssMb: 1 }]),
    ).toThrow(/fleet size 100/);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten, and escapes XML', () => {
    expect([niceCeiling(3.7), niceCeiling(12), niceCeiling(480), niceCeiling(1000), niceCeiling(0)]).toEqual([
      5, 20, 500, 1000, 1,
    ]);
    expect(escapeXml(`a<b>&'"`)).toBe('a&#60;b&#62;&#38;&#39;&#34;');
  });
});
