import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  DescribeAuditTaskCommand,
} from '@aws-sdk/client-iot';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { CLOCK_FILE } from '../../cli/target/state-clock.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { enableExpiringCheck, runExpiringAudit } from './helpers/expiring-check.ts';
import { useCliHarness } from './helpers/local-aws.ts';
import { startDirect } from './helpers/start-execution.ts';

const DAY = 86_400_000;

const RotateJson = z.object({
  count: z.number(),
  failed: z.number(),
  rotations: z.array(
    z.object({
      thingName: z.string(),
      oldCertificateId: z.string().nullish(),
      result: z.string(),
      executionArn: z.string().nullish(),
      detail: z.string().nullish(),
    }),
  ),
});

async function recordOf(thing: string): Promise<{ status: string; campaign?: string | undefined }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await h().run(['rotations', 'show', thing, '--json']);
    if (result.code === 0) {
      const record = z
        .object({ status: z.string(), campaign: z.string().optional() })
        .parse(JSON.parse(result.stdout).record);
      if (record.status !== 'IN_PROGRESS') return record;
    }
    if (Date.now() > deadline) throw new Error(`${thing} did not finish: ${result.stdout}${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const h = useCliHarness();

describe('recert rotate <thing>', () => {
  it('starts the rotation under the fan-out execution name, once', async () => {
    // Prepare
    const device = await h().provision('man-1');
    // Act
    const first = await h().run(['rotate', 'man-1', '--json']);
    const second = await h().run(['rotate', 'man-1', '--json']);
    // Assess
    expect(first.code).toBe(EXIT.ok);
    const started = RotateJson.parse(JSON.parse(first.stdout)).rotations[0];
    expect(started).toMatchObject({
      thingName: 'man-1',
      oldCertificateId: device.certificateId,
      result: 'started',
    });
    expect(started?.executionArn?.endsWith(`:${executionName('man-1', device.certificateId)}`)).toBe(true);
    expect(second.code).toBe(EXIT.ok);
    expect(RotateJson.parse(JSON.parse(second.stdout)).rotations[0]?.result).toBe('already started');
    expect(await h().waitForExecution(started?.executionArn ?? '')).toBe('SUCCEEDED');
    expect(await recordOf('man-1')).toMatchObject({ status: 'SUCCEEDED', campaign: 'manual' });
  });

  it('points at redrive when the same rotation failed, and starts over with --fresh', async () => {
    // Prepare: a rotation that failed.
    await h().provision('again-1');
    h().plan.set('again-1', 'fail');
    const first = RotateJson.parse(JSON.parse((await h().run(['rotate', 'again-1', '--json'])).stdout))
      .rotations[0];
    expect(await h().waitForExecution(first?.executionArn ?? '')).toBe('FAILED');
    await recordOf('again-1');
    h().plan.set('again-1', 'succeed');
    // Act
    const repeated = await h().run(['rotate', 'again-1']);
    const fresh = await h().run(['rotate', 'again-1', '--fresh', '--json']);
    // Assess
    expect(repeated.code).toBe(EXIT.ok);
    expect(repeated.stdout).toContain(
      'already started  FAILED: "recert redrive again-1" resumes it, --fresh starts over',
    );
    expect(fresh.code).toBe(EXIT.ok);
    const restarted = RotateJson.parse(JSON.parse(fresh.stdout)).rotations[0];
    expect(restarted?.result).toBe('started');
    expect(restarted?.executionArn).not.toBe(first?.executionArn);
    expect(await h().waitForExecution(restarted?.executionArn ?? '')).toBe('SUCCEEDED');
  });

  it('asks which certificate when a thing has several ACTIVE ones (exit 2), and takes --certificate', async () => {
    // Prepare: a second ACTIVE certificate on the same thing.
    const device = await h().provision('two-certs');
    const extra = await h().iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await h().iot.send(
      new AttachThingPrincipalCommand({ thingName: 'two-certs', principal: extra.certificateArn ?? '' }),
    );
    // Act
    const ambiguous = await h().run(['rotate', 'two-certs']);
    const chosen = await h().run(['rotate', 'two-certs', '--certificate', device.certificateId, '--dry-run']);
    // Assess
    expect(ambiguous.code).toBe(EXIT.usage);
    expect(ambiguous.stderr).toContain('has 2 ACTIVE certificates');
    expect(ambiguous.stderr).toContain('--certificate');
    expect(chosen.code).toBe(EXIT.ok);
    expect(chosen.stdout).toMatch(/two-certs\s+\w+\s+would start/);
  });

  it('refuses while another rotation of the thing is in flight (exit 5)', async () => {
    // Prepare: a rotation started by an audit, waiting for its device, and a second certificate.
    const device = await h().provision('busy-2');
    h().plan.set('busy-2', 'issue-and-wait');
    await startDirect(h(), 'busy-2', device.certificateId, 'audit-1', undefined);
    await expect.poll(async () => (await h().run(['rotations', 'show', 'busy-2'])).code).toBe(EXIT.ok);
    // Act
    const result = await h().run(['rotate', 'busy-2', '--certificate', device.certificateId, '--fresh']);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('busy-2 already has a rotation in flight');
  });

  it('reports unknown things: exit 4 alone, exit 1 for a batch with the others started', async () => {
    await h().provision('batch-ok');
    const alone = await h().run(['rotate', 'ghost-1']);
    const batch = await h().run(['rotate', 'ghost-2', 'batch-ok', '--json']);
    expect(alone.code).toBe(EXIT.notFound);
    expect(alone.stderr).toContain('there is no thing named ghost-1');
    expect(batch.code).toBe(EXIT.failed);
    const rows = RotateJson.parse(JSON.parse(batch.stdout)).rotations;
    expect(rows.map((r) => [r.thingName, r.result])).toEqual([
      ['ghost-2', 'not found'],
      ['batch-ok', 'started'],
    ]);
  });
});

describe('recert rotate --all-expiring and recert report', () => {
  let taskId = '';

  beforeAll(async () => {
    // Prepare: two devices whose certificates expire in 5 days, one valid until 2049; an audit.
    await h().provision('exp-1', { validity: { durationMs: 5 * DAY } });
    await h().provision('exp-2', { validity: { durationMs: 5 * DAY } });
    await h().provision('fresh-1');
    h().plan.set('exp-2', 'fail');
    await enableExpiringCheck(h(), 30);
    taskId = await runExpiringAudit(h());
    const described = await h().iot.send(new DescribeAuditTaskCommand({ taskId }));
    expect(described.taskStatus).toBe('COMPLETED');
  });

  it('starts one rotation per expiring certificate, from the latest audit, with its task id', async () => {
    // Act
    const dry = await h().run(['rotate', '--all-expiring', '--dry-run', '--json']);
    const result = await h().run(['rotate', '--all-expiring', '--json']);
    // Assess
    expect(dry.code).toBe(EXIT.ok);
    expect(
      RotateJson.parse(JSON.parse(dry.stdout))
        .rotations.map((r) => [r.thingName, r.result])
        .sort(),
    ).toEqual([
      ['exp-1', 'would start'],
      ['exp-2', 'would start'],
    ]);
    expect(result.code).toBe(EXIT.ok);
    const started = RotateJson.parse(JSON.parse(result.stdout)).rotations;
    expect(started.map((r) => [r.thingName, r.result]).sort()).toEqual([
      ['exp-1', 'started'],
      ['exp-2', 'started'],
    ]);
    expect(await recordOf('exp-1')).toMatchObject({ status: 'SUCCEEDED', campaign: `audit-${taskId}` });
    expect(await recordOf('exp-2')).toMatchObject({ status: 'FAILED', campaign: `audit-${taskId}` });
  });

  it('reports the campaign: found, rotated, failed with the reason, still expiring', async () => {
    // Act
    const latest = await h().run(['report', '--json']);
    const named = await h().run(['report', '--campaign', taskId]);
    // Assess
    expect(latest.code).toBe(EXIT.ok);
    const report = z
      .object({
        campaign: z.string(),
        summary: z.record(z.string(), z.number()),
        devices: z.array(
          z.object({
            thingName: z.string(),
            state: z.string(),
            stillExpiring: z.boolean(),
            reason: z.string().nullish(),
          }),
        ),
      })
      .parse(JSON.parse(latest.stdout));
    expect(report.campaign).toBe(`audit-${taskId}`);
    expect(report.summary).toEqual({
      devicesFound: 2,
      rotated: 1,
      pending: 0,
      failed: 1,
      abandoned: 0,
      notStarted: 0,
      certificatesStillExpiring: 1,
    });
    expect(report.devices.map((d) => [d.thingName, d.state, d.stillExpiring])).toEqual([
      ['exp-1', 'ROTATED', false],
      ['exp-2', 'FAILED', true],
    ]);
    expect(report.devices[1]?.reason).toBe('DeviceUnreachable: exp-2 did not answer csr_req');
    expect(named.code).toBe(EXIT.ok);
    expect(named.stdout).toContain(`Campaign audit-${taskId}: audit task ON_DEMAND_AUDIT_TASK`);
    expect(named.stdout).toMatch(/certificates still expiring\s+1/);
    expect(named.stdout).toMatch(/exp-2\s+\w+\s+EXPIRING\s+FAILED\s+ACTIVE\s+DeviceUnreachable/);
  });
});

describe('recert report of a campaign the audit fan-out started', () => {
  const ReportJson = z.object({
    campaign: z.string(),
    summary: z.record(z.string(), z.number()),
    devices: z.array(z.object({ thingName: z.string(), state: z.string(), certificateStatus: z.string() })),
  });
  let taskId = '';

  beforeAll(async () => {
    // Prepare: an audit finding two expiring certificates, and their rotations started as the
    // fan-out starts them (campaign audit-<taskId>): one succeeds, which deletes the old certificate
    // (the grace-period sweep), the other fails and is redriven.
    const ok = await h().provision('fan-1', { validity: { durationMs: 5 * DAY } });
    const flaky = await h().provision('fan-2', { validity: { durationMs: 5 * DAY } });
    h().plan.set('fan-2', 'fail');
    taskId = await runExpiringAudit(h());
    await startDirect(h(), 'fan-1', ok.certificateId, `audit-${taskId}`, 'SUCCEEDED');
    await startDirect(h(), 'fan-2', flaky.certificateId, `audit-${taskId}`, 'FAILED');
    await recordOf('fan-2');
  });

  it('counts the rotations under the bare task id, the audit- id and the latest audit alike', async () => {
    // Act
    const bare = ReportJson.parse(
      JSON.parse((await h().run(['report', '--campaign', taskId, '--json'])).stdout),
    );
    const prefixed = ReportJson.parse(
      JSON.parse((await h().run(['report', '--campaign', `audit-${taskId}`, '--json'])).stdout),
    );
    const latest = ReportJson.parse(JSON.parse((await h().run(['report', '--json'])).stdout));
    // Assess: fan-1's old certificate is deleted, and its finding still leads to its thing.
    expect(bare.campaign).toBe(`audit-${taskId}`);
    const fan = (r: z.infer<typeof ReportJson>) =>
      r.devices
        .filter((d) => d.thingName.startsWith('fan-'))
        .map((d) => [d.thingName, d.state, d.certificateStatus]);
    expect(fan(bare)).toEqual([
      ['fan-1', 'ROTATED', 'DELETED'],
      ['fan-2', 'FAILED', 'ACTIVE'],
    ]);
    expect(prefixed).toEqual(bare);
    expect(latest.campaign).toBe(`audit-${taskId}`);
    expect(bare.summary.notStarted).toBe(0);
  });

  it('lists the rotations under the bare task id', async () => {
    // Act
    const result = await h().run(['rotations', 'list', '--campaign', taskId, '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const listed = z
      .object({ rotations: z.array(z.object({ thingName: z.string() })) })
      .parse(JSON.parse(result.stdout));
    expect(listed.rotations.map((r) => r.thingName).sort()).toEqual(['fan-1', 'fan-2']);
  });

  it('counts a redriven rotation as rotated', async () => {
    // Prepare
    h().plan.set('fan-2', 'succeed');
    expect((await h().run(['redrive', 'fan-2'])).code).toBe(EXIT.ok);
    await expect.poll(async () => (await recordOf('fan-2')).status, { timeout: 15_000 }).toBe('SUCCEEDED');
    // Act
    const report = ReportJson.parse(
      JSON.parse((await h().run(['report', '--campaign', taskId, '--json'])).stdout),
    );
    // Assess
    expect(
      report.devices.filter((d) => d.thingName.startsWith('fan-')).map((d) => [d.thingName, d.state]),
    ).toEqual([
      ['fan-1', 'ROTATED'],
      ['fan-2', 'ROTATED'],
    ]);
  });
});

describe('ages with --local', () => {
  it('are measured on the local clock, which a state directory continues ahead of the wall clock', async () => {
    // Prepare: a rotation recorded now, and a local clock that (as after a run at 60x) reads two
    // hours later than the wall clock.
    const device = await h().provision('aged-1');
    await startDirect(h(), 'aged-1', device.certificateId, 'manual', 'SUCCEEDED');
    await writeFile(
      join(h().stateDir, CLOCK_FILE),
      JSON.stringify({ speed: 1, clockAt: Date.now() + 2 * 3_600_000, wallAt: Date.now() }),
    );
    try {
      // Act
      const shown = await h().run(['rotations', 'show', 'aged-1']);
      // Assess
      expect(shown.code).toBe(EXIT.ok);
      expect(shown.stdout).toMatch(/^Started:\s+\S+ \(2h ago\)$/m);
    } finally {
      await rm(join(h().stateDir, CLOCK_FILE), { force: true });
    }
  });
});

describe('recert rotations show: the next step', () => {
  it('points a failed rotation at redrive or abandon, and says a finished one needs nothing', async () => {
    // Prepare: one rotation that failed, one that succeeded.
    const failing = await h().provision('next-1');
    const fine = await h().provision('next-2');
    h().plan.set('next-1', 'fail');
    await startDirect(h(), 'next-1', failing.certificateId, 'manual', 'FAILED');
    await startDirect(h(), 'next-2', fine.certificateId, 'manual', 'SUCCEEDED');
    await recordOf('next-1');
    await recordOf('next-2');
    // Act
    const failed = await h().run(['rotations', 'show', 'next-1']);
    const done = await h().run(['rotations', 'show', 'next-2', '--json']);
    // Assess
    expect(failed.stdout).toMatch(
      /^Next step: "recert redrive next-1" resumes it at the step that failed, or "recert abandon next-1" gives up/m,
    );
    expect(JSON.parse(done.stdout).nextStep).toMatch(/^nothing: the device uses its new certificate/);
  });
});

describe('recert audit run', () => {
  it('runs an on-demand audit to its end and names the campaign it starts', async () => {
    // Prepare: a certificate that expires in 5 days, and the check enabled.
    await h().provision('audited-1', { validity: { durationMs: 5 * DAY } });
    await enableExpiringCheck(h(), 30);
    // Act
    const result = await h().run(['audit', 'run', '--check', 'expiring', '--wait-campaign', '0', '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const run = z
      .object({
        taskId: z.string(),
        taskStatus: z.string(),
        campaignId: z.string(),
        checks: z.array(z.object({ checkName: z.string(), nonCompliant: z.number() })),
      })
      .parse(JSON.parse(result.stdout));
    expect(run.taskStatus).toBe('COMPLETED');
    expect(run.campaignId).toBe(`audit-${run.taskId}`);
    expect(run.checks[0]?.checkName).toBe('DEVICE_CERTIFICATE_EXPIRING_CHECK');
    expect(run.checks[0]?.nonCompliant).toBeGreaterThanOrEqual(1);
    const findings = await h().run(['rotate', '--all-expiring', '--campaign', run.campaignId, '--dry-run']);
    expect(findings.stdout).toMatch(/audited-1\s+\S+\s+would start/);
  });

  it('names the checks it knows when given another', async () => {
    const result = await h().run(['audit', 'run', '--check', 'expired']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('--check "expired" is not one of expiring, age');
  });
});

describe('colour', () => {
  it('colours statuses on a terminal, and not with NO_COLOR or into a pipe', async () => {
    // Prepare
    const device = await h().provision('colour-1');
    await startDirect(h(), 'colour-1', device.certificateId, 'manual', 'SUCCEEDED');
    await recordOf('colour-1');
    const list = ['rotations', 'list', '--status', 'SUCCEEDED'];
    // Act
    const terminal = await h().run(list, {}, { stdoutIsTTY: true });
    const noColour = await h().run(list, { NO_COLOR: '1' }, { stdoutIsTTY: true });
    const piped = await h().run(list);
    // Assess: green SUCCEEDED, padded like the other rows.
    expect(terminal.stdout).toContain('\u001b[32mSUCCEEDED');
    expect(noColour.stdout).not.toContain('\u001b[');
    expect(piped.stdout).not.toContain('\u001b[');
    const plain = terminal.stdout.replaceAll('\u001b[32m', '').replaceAll('\u001b[0m', '');
    const columnsOf = (text: string) =>
      text.split('\n').map((line) => line.indexOf('PHASE') + line.indexOf('DONE'));
    expect(columnsOf(plain)).toEqual(columnsOf(piped.stdout));
  });
});
