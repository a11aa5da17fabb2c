import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readmeTable } from '../../cli/readme-projections.ts';
import { derivePacing, InvalidPacingError } from '../../workflows/campaign/pacing.ts';
import {
  formatDuration,
  PROJECTION_SCENARIOS,
  projectCampaign,
  projectionsMarkdown,
  projectScenarios,
  sustainedRate,
} from '../../workflows/campaign/projections.ts';
import { AWS_DEFAULT_QUOTAS } from '../../workflows/campaign/quotas.ts';

const root = join(import.meta.dirname, '..', '..');

describe('projectCampaign', () => {
  it('takes devices / start rate plus the tail of one rotation', () => {
    // Prepare: 5 starts per second, room for 300 in flight (60 s x 5).
    const pacing = { startsPerSecond: 5, maxInFlight: 300 };
    // Act
    const seconds = projectCampaign(1_000_000, pacing);
    // Assess: 200,000 s of starts, then the last rotation's minute.
    expect(seconds).toBe(200_060);
  });

  it('slows to what the in-flight ceiling lets through when it binds', () => {
    // Prepare: 10 starts per second allowed, but only 60 in flight for 60 s rotations: 1 per second.
    const pacing = { startsPerSecond: 10, maxInFlight: 60 };
    // Act / Assess
    expect(sustainedRate(pacing)).toBe(1);
    expect(projectCampaign(3_600, pacing)).toBe(3_660);
  });

  it('needs nothing for an empty fleet and refuses nonsense', () => {
    expect(projectCampaign(0, { startsPerSecond: 1, maxInFlight: 1 })).toBe(0);
    expect(() => projectCampaign(-1, { startsPerSecond: 1, maxInFlight: 1 })).toThrow(InvalidPacingError);
    expect(() => projectCampaign(1.5, { startsPerSecond: 1, maxInFlight: 1 })).toThrow(/devices/);
    expect(() => projectCampaign(10, { startsPerSecond: 0, maxInFlight: 1 })).toThrow(/start rate/);
  });

  it('never projects a fleet faster than the tightest quota allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.double({ min: 1, max: 5_000, noNaN: true }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (devices, updateCertificateTps, headroom) => {
          const pacing = derivePacing({
            quotas: { 'iot:UpdateCertificate': updateCertificateTps },
            headroom,
          });
          const seconds = projectCampaign(devices, pacing);
          // Devices over the time the starts took cannot beat any API's allowance.
          expect(devices / (seconds - 60)).toBeLessThanOrEqual(
            pacing.limitedBy.rotationsPerSecond * 1.000001,
          );
          expect(projectCampaign(devices + 1, pacing)).toBeGreaterThan(seconds);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('projection scenarios', () => {
  it('at AWS defaults, an API of 10 TPS called twice per rotation limits a million devices to about 58 hours', () => {
    // Prepare: a call table where UpdateCertificate (10 TPS) is called twice, every other API once.
    const calls = { 'iot:UpdateCertificate': 2, 'iot:DeleteCertificate': 1, 'iot:AttachPolicy': 1 };
    // Act
    const [defaults] = projectScenarios(PROJECTION_SCENARIOS, [1_000_000, 10_000_000], calls);
    // Assess
    expect(defaults?.scenario.quotas).toEqual({});
    expect(defaults?.pacing.limitedBy.api).toBe('iot:UpdateCertificate');
    expect(defaults?.pacing.startsPerSecond).toBeCloseTo(4.75, 6);
    expect(defaults?.seconds.map((s) => formatDuration(s.seconds))).toEqual(['58.5 h', '24.4 days']);
  });

  it('only raises quotas, and each raised scenario is faster than the defaults', () => {
    const [defaults, ...raised] = projectScenarios();
    expect(raised).toHaveLength(PROJECTION_SCENARIOS.length - 1);
    const defaultRate = new Map<string, number>(Object.entries(AWS_DEFAULT_QUOTAS));
    for (const scenario of PROJECTION_SCENARIOS) {
      for (const [api, rate] of Object.entries(scenario.quotas)) {
        expect(rate).toBeGreaterThanOrEqual(defaultRate.get(api) ?? Infinity);
      }
    }
    for (const projection of raised) {
      expect(projection.pacing.startsPerSecond).toBeGreaterThan(defaults?.pacing.startsPerSecond ?? Infinity);
    }
  });

  it('formats durations in the unit people read', () => {
    expect(formatDuration(59.6)).toBe('60 s');
    expect(formatDuration(4_272)).toBe('71.2 min');
    expect(formatDuration(210_586)).toBe('58.5 h');
    expect(formatDuration(2_105_323)).toBe('24.4 days');
  });
});

describe('the README table', () => {
  it('is what the projections give today (run "npm run projections -- --write-readme" when it is not)', async () => {
    // Prepare
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    // Act / Assess
    expect(readmeTable(readme)).toBe(projectionsMarkdown());
  });

  it('is what "npm run projections" prints', async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'cli', 'print-projections.ts')],
      { cwd: root },
    );
    // Assess
    expect(stdout.trim()).toBe(projectionsMarkdown());
  });
});
