import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { derivePacing } from '../../workflows/campaign/pacing.ts';
import { formatDuration, projectCampaign } from '../../workflows/campaign/projections.ts';
import { runIn } from './helpers/local-aws.ts';

// `recert pacing` computes without calling anything: no target needs to run.
const run = (argv: string[]) => runIn(argv, {}, process.cwd());

describe('recert pacing', () => {
  it('prints the derived pacing, every API allowance and the projections for 1M and 10M devices', async () => {
    // Prepare
    const expected = derivePacing();
    // Act
    const result = await run(['pacing']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(new RegExp(`^limited by\\s+${expected.limitedBy.api}: `, 'm'));
    expect(result.stdout).toContain(`start rate        ${expected.startsPerSecond.toFixed(2)}/s (95% of it)`);
    for (const limit of expected.limits)
      expect(result.stdout).toMatch(new RegExp(`^${limit.api}\\s+${limit.quota}\\s`, 'm'));
    expect(result.stdout).toMatch(
      new RegExp(`^ 1,000,000\\s+${formatDuration(projectCampaign(1_000_000, expected))}$`, 'm'),
    );
    expect(result.stdout).toMatch(/^10,000,000\s+/m);
  });

  it('takes quotas as one comma-separated list, as the repeated flag', async () => {
    // Act
    const listed = await run(['pacing', '--quota', 'UpdateCertificate=50,DeleteCertificate=50', '--json']);
    const repeated = await run([
      'pacing',
      '--quota',
      'UpdateCertificate=50',
      '--quota',
      'DeleteCertificate=50',
      '--json',
    ]);
    // Assess
    expect(listed.code).toBe(EXIT.ok);
    expect(JSON.parse(listed.stdout)).toEqual(JSON.parse(repeated.stdout));
    const quotas = Object.fromEntries(
      (JSON.parse(listed.stdout).pacing.limits as { api: string; quota: number }[]).map((l) => [
        l.api,
        l.quota,
      ]),
    );
    expect(quotas).toMatchObject({ 'iot:UpdateCertificate': 50, 'iot:DeleteCertificate': 50 });
  });

  it('names what is wrong with a negative fleet size', async () => {
    const result = await run(['pacing', '--devices', '-5']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('--devices "-5" is not a fleet size');
  });

  it('follows raised quotas, explicit settings and other fleet sizes, as JSON', async () => {
    // Act
    const result = await run([
      'pacing',
      '--quota',
      'UpdateCertificate=1000',
      '--quota',
      'iot:DeleteCertificate=1000',
      '--max-in-flight',
      '50',
      '--devices',
      '250k,2M',
      '--json',
    ]);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const out = JSON.parse(result.stdout);
    const expected = derivePacing({
      quotas: { 'iot:UpdateCertificate': 1000, 'iot:DeleteCertificate': 1000 },
      overrides: { maxInFlight: 50 },
    });
    expect(out.pacing.limitedBy).toEqual(expected.limitedBy);
    expect(out.pacing.limitedBy.api).not.toBe('iot:UpdateCertificate');
    expect(out.pacing.maxInFlight).toBe(50);
    expect(out.projections.map((p: { devices: number }) => p.devices)).toEqual([250_000, 2_000_000]);
    // The ceiling of 50 in flight for one-minute rotations holds the fleet under 1 start per second.
    expect(out.projections[0].seconds).toBeGreaterThanOrEqual(250_000 / (50 / 60));
  });

  it("derives a private CA's pacing with --issuer acm-pca, and refuses an unknown issuer", async () => {
    // Act
    const privateCa = await run([
      'pacing',
      '--issuer',
      'acm-pca',
      '--quota',
      'UpdateCertificate=50',
      '--quota',
      'DeleteCertificate=50',
      '--quota',
      'DescribeCertificate=50',
      '--quota',
      'ListPrincipalThings=50',
      '--json',
    ]);
    const unknown = await run(['pacing', '--issuer', 'vault']);
    // Assess
    expect(privateCa.code).toBe(EXIT.ok);
    const out = JSON.parse(privateCa.stdout);
    expect(out.issuer).toBe('acm-pca');
    expect(out.pacing.limitedBy).toMatchObject({ api: 'iot:RegisterCertificateWithoutCA', quota: 10 });
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/--issuer "vault" is not one of aws-iot, acm-pca/);
  });

  it('warns when a set start rate outruns the tightest quota', async () => {
    const result = await run(['pacing', '--starts-per-second', '1000']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toMatch(/warning: 1000\/s is faster than iot:\w+ allows/);
  });

  it.each([
    [['--quota', 'Bogus=3'], /--quota: "Bogus" is not an API a rotation calls/],
    [['--quota', 'UpdateCertificate'], /is not <API>=<calls per second>/],
    [['--quota', 'UpdateCertificate=0'], /--quota UpdateCertificate= "0" is not a number above 0/],
    [['--starts-per-second', 'fast'], /--starts-per-second "fast" is not a number above 0/],
    [['--max-in-flight', '0'], /--max-in-flight "0" is not a whole number from 1/],
    [['--headroom', '1.5'], /--headroom "1.5" is not a number above 0 to 1/],
    [['--devices', '1M,lots'], /--devices "lots" is not a fleet size/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /pacing takes no argument/],
  ])('refuses %j with an error naming the flag (exit 2)', async (argv, message) => {
    const result = await run(['pacing', ...argv]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
  });
});
