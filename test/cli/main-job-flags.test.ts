import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SPEED, MainJobUsageError, parseMainJobFlags } from '../../cli/main-job/flags.ts';
import { createProgress } from '../../cli/main-job/progress.ts';
import { type CampaignReport, campaignPassed, renderReport } from '../../cli/main-job/report.ts';

function flagsOf(argv: string[]) {
  const parsed = parseMainJobFlags(argv);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.flags;
}

/** A one-device report that passed; each test sets what it is about. */
function campaignReport(overrides: Partial<CampaignReport>): CampaignReport {
  return {
    campaign: 'fleet',
    devices: 1,
    mix: 'healthy=1',
    clockSpeed: 60,
    audit: { taskId: 't', status: 'COMPLETED', certificatesChecked: 1, nonCompliant: 1 },
    expiring: 1,
    rotationsStarted: 1,
    succeeded: 1,
    refusedAsExpected: 0,
    failed: [],
    oldCertificatesRetired: 1,
    devicesWithoutWorkingCredentials: [],
    wallTimeSeconds: 3,
    simulatedHours: 0.05,
    billedTransitions: { total: 6, perRotation: 6 },
    timedOut: false,
    stateDir: '/s',
    outcomes: [],
    ...overrides,
  };
}

describe('npm start flags', () => {
  it('defaults to a 100-device fleet, 80% expiring, in .recert', () => {
    // Act
    const flags = flagsOf([]);
    // Assess
    expect(flags.devices).toBe(100);
    expect(flags.expiringPercent).toBe(80);
    expect(flags.stateDir).toBe('.recert');
    expect(flags.clockSpeed).toBe(DEFAULT_CLOCK_SPEED);
    expect(flags.fresh).toBe(false);
    expect(flags.json).toBe(false);
    expect(flags.privateCaDays).toBeUndefined();
  });

  it('reads every flag', () => {
    // Act
    const flags = flagsOf([
      '--devices',
      '10',
      '--mix',
      'healthy=90,offline=5,crt_err=5',
      '--expiring-percent',
      '50',
      '--clock-speed',
      '120',
      '--state-dir',
      '/tmp/x',
      '--fresh',
      '--timeout',
      '90',
      '--private-ca-days',
      '90',
      '--json',
    ]);
    // Assess
    expect(flags).toMatchObject({
      devices: 10,
      mixText: 'healthy=90,offline=5,crt_err=5',
      expiringPercent: 50,
      clockSpeed: 120,
      stateDir: '/tmp/x',
      fresh: true,
      timeoutSeconds: 90,
      json: true,
      privateCaDays: 90,
    });
    expect([...flags.mix.keys()]).toEqual(['healthy', 'offline', 'crt_err']);
  });

  it('answers --help and -h', () => {
    expect(parseMainJobFlags(['--help'])).toEqual({ help: true });
    expect(parseMainJobFlags(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--devices', '0'], /--devices must be between 1/],
    [['--devices', 'ten'], /--devices must be a whole number/],
    [['--expiring-percent', '101'], /--expiring-percent must be between 0 and 100/],
    [['--clock-speed=-3'], /--clock-speed must be a number above 0/],
    [['--mix', 'healthy=90,sleepy=10'], /--mix: unknown behaviour "sleepy"/],
    [['--mix', 'healthy'], /--mix: "healthy" is not name=weight/],
    [['--timeout', '0'], /--timeout must be a number above 0/],
    [['--private-ca-days', '0'], /--private-ca-days must be between 1 and 3650/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--devices'], /--devices/],
    [['extra'], /positional/i],
  ])('refuses %j with an error naming the flag', (argv, message) => {
    expect(() => parseMainJobFlags(argv)).toThrow(MainJobUsageError);
    expect(() => parseMainJobFlags(argv)).toThrow(message);
  });
});

describe('npm start progress and report', () => {
  it('redraws one line in place on a terminal and writes plain lines otherwise', () => {
    // Prepare
    const tty: string[] = [];
    const plain: string[] = [];
    let t = 0;
    const onTty = createProgress({ isTTY: true, columns: 200, write: (s) => tty.push(s) > 0 });
    const onPipe = createProgress({ write: (s) => plain.push(s) > 0 }, 2_000, () => t);
    const counts = { expiring: 4, rotated: 1, inFlight: 2, failed: 0, refused: 1 };
    // Act
    onTty.update(counts, 1);
    onTty.update({ ...counts, rotated: 2, inFlight: 1 }, 2);
    onTty.done();
    t = 10_000;
    onPipe.update(counts, 1);
    t = 10_100;
    onPipe.update(counts, 1);
    // Assess
    const erase = '\r\x1b[2K';
    expect(tty[0]?.startsWith(`${erase}[${'#'.repeat(15)}${'.'.repeat(15)}] rotated 1/4  in flight 2`)).toBe(
      true,
    );
    expect(tty.at(-1)).toBe('\n');
    expect(plain).toEqual(['rotated 1/4  in flight 2  failed 0  refused 1  (simulated 1.0 h)\n']);
  });

  it('shows the paced campaign next to the rotations once it exists', () => {
    // Prepare
    const plain: string[] = [];
    const onPipe = createProgress({ write: (s) => plain.push(s) > 0 }, 2_000, () => 10_000);
    // Act
    onPipe.update(
      {
        expiring: 80,
        rotated: 10,
        inFlight: 30,
        failed: 0,
        refused: 0,
        campaign: { queued: 80, started: 45, inFlight: 30, parked: 5 },
      },
      0.5,
    );
    // Assess
    expect(plain).toEqual([
      'rotated 10/80  in flight 30  failed 0  refused 0  | campaign started 45/80 in flight 30 parked 5  (simulated 0.5 h)\n',
    ]);
  });

  it('passes only when every device ended as expected', () => {
    // Prepare
    const report = campaignReport({
      campaign: 'fleet-1',
      devices: 2,
      mix: 'healthy=1,silent=1',
      audit: { taskId: 't', status: 'COMPLETED', certificatesChecked: 2, nonCompliant: 2 },
      expiring: 2,
      rotationsStarted: 2,
      succeeded: 1,
      refusedAsExpected: 1,
      billedTransitions: { total: 12, perRotation: 6 },
      outcomes: [
        {
          thingName: 'a',
          behaviour: 'healthy',
          expected: 'rotate',
          ok: true,
          status: 'SUCCEEDED',
          detail: 'x',
        },
        { thingName: 'b', behaviour: 'silent', expected: 'refuse', ok: true, status: 'FAILED', detail: 'y' },
      ],
    });
    // Act / Assess
    expect(campaignPassed(report)).toBe(true);
    expect(renderReport(report)).toMatch(/refused as expected +1\n +b \(silent\): y/);
    expect(renderReport(report)).toContain('result: PASSED');
    expect(campaignPassed({ ...report, timedOut: true })).toBe(false);
    expect(campaignPassed({ ...report, devicesWithoutWorkingCredentials: ['a'] })).toBe(false);
    const wrong = { ...report, outcomes: report.outcomes.map((o) => ({ ...o, ok: o.thingName !== 'b' })) };
    expect(campaignPassed(wrong)).toBe(false);
    expect(renderReport(wrong)).toContain('result: FAILED');
  });

  it('reports the paced campaign: its counters, its pacing and why it stopped', () => {
    // Prepare
    const report = campaignReport({
      campaign: 'fleet-2',
      audit: { taskId: 't2', status: 'COMPLETED', certificatesChecked: 1, nonCompliant: 1 },
      pacedCampaign: {
        campaignId: 'audit-t2',
        status: 'STOPPED',
        queued: 80,
        started: 40,
        alreadyStarted: 0,
        skipped: 0,
        succeeded: 30,
        failed: 6,
        parked: 1,
        inFlight: 3,
        startsPerSecond: 9.5,
        maxInFlight: 570,
        limitedBy: 'iot:DeleteCertificate',
        stopReason: '6 of 36 rotations finished since the campaign started failed (16.7%)',
      },
      stateDir: '/s',
    });
    // Act
    const text = renderReport(report);
    // Assess
    expect(text).toContain(
      '  campaign               audit-t2 STOPPED: 40 of 80 queued started, 30 succeeded, 6 failed, 1 parked, 3 in flight\n',
    );
    expect(text).toContain(
      '  pacing                 9.50 starts/s, at most 570 in flight (limited by iot:DeleteCertificate)\n',
    );
    expect(text).toContain('  campaign stopped       6 of 36 rotations finished');
    expect(text).toContain('campaigns show audit-t2 --local --state-dir /s');
  });
});
