import { DescribeCertificateCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { ManualClock } from '../../lib/clock.ts';
import { useCliHarness } from './helpers/local-aws.ts';
import { startDirect } from './helpers/start-execution.ts';

const Record = z.object({
  record: z
    .object({
      status: z.string(),
      phase: z.string(),
      newCertificateId: z.string().optional(),
      revokedCertificateIds: z.array(z.string()).optional(),
    })
    .passthrough(),
  execution: z.object({ status: z.string(), redriveCount: z.number().optional() }).nullable(),
});

async function show(thing: string) {
  const result = await h().run(['rotations', 'show', thing, '--json']);
  if (result.code !== 0) throw new Error(result.stderr);
  return Record.parse(JSON.parse(result.stdout));
}

async function until(
  thing: string,
  check: (r: z.infer<typeof Record>) => boolean,
): Promise<z.infer<typeof Record>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    // The claim may not have been written yet: keep asking until it is.
    const shown = await show(thing).catch(() => undefined);
    if (shown && check(shown)) return shown;
    if (Date.now() > deadline) throw new Error(`${thing}: condition not reached: ${JSON.stringify(shown)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function certificateStatus(certificateId: string): Promise<string | undefined> {
  try {
    const out = await h().iot.send(new DescribeCertificateCommand({ certificateId }));
    return out.certificateDescription?.status;
  } catch {
    return 'DELETED';
  }
}

const h = useCliHarness();

describe('recert redrive', () => {
  it('resumes a failed rotation at the failed step, by thing name, and it then succeeds', async () => {
    // Prepare
    const device = await h().provision('flaky-1');
    h().plan.set('flaky-1', 'fail');
    const arn = await startDirect(h(), 'flaky-1', device.certificateId, 'manual', 'FAILED');
    await until('flaky-1', (r) => r.record.status === 'FAILED');
    h().plan.set('flaky-1', 'succeed');
    // Act
    const result = await h().run(['redrive', 'flaky-1']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`Redriven ${arn}`);
    expect(await h().waitForExecution(arn)).toBe('SUCCEEDED');
    const shown = await until('flaky-1', (r) => r.record.status === 'SUCCEEDED');
    expect(shown.execution?.redriveCount).toBe(1);
  });

  it('takes an execution ARN, and refuses a succeeded one with exit 5 and what to do', async () => {
    // Prepare
    const device = await h().provision('fine-1');
    const arn = await startDirect(h(), 'fine-1', device.certificateId, 'manual', 'SUCCEEDED');
    // Act
    const result = await h().run(['redrive', arn]);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain(`execution ${arn} cannot be redriven (SUCCEEDED)`);
    expect(result.stderr).toContain('nothing to redrive');
  });

  it('refuses a running execution and points at abandon', async () => {
    const device = await h().provision('busy-1');
    h().plan.set('busy-1', 'issue-and-wait');
    await startDirect(h(), 'busy-1', device.certificateId, 'manual', undefined);
    await until('busy-1', (r) => r.record.phase === 'AWAITING_ACK');
    const result = await h().run(['redrive', 'busy-1']);
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('still running');
    expect(result.stderr).toContain('recert abandon busy-1');
  });

  it('reports an execution ARN that does not exist (exit 4)', async () => {
    const arn = `${h().manifest.resources.stateMachineArn.replace(':stateMachine:', ':execution:')}:no-such-run`;
    const result = await h().run(['redrive', arn]);
    expect(result.code).toBe(EXIT.notFound);
    expect(result.stderr).toContain('does not exist');
  });

  it('--failed redrives every failed rotation of a campaign, and only those', async () => {
    // Prepare: two failures in campaign c-9, one in another campaign.
    const devices = await Promise.all(['c9-a', 'c9-b', 'other-a'].map((t) => h().provision(t)));
    for (const d of devices) h().plan.set(d.thingName, 'fail');
    const arns = await Promise.all(
      devices.map((d) =>
        startDirect(
          h(),
          d.thingName,
          d.certificateId,
          d.thingName.startsWith('c9') ? 'c-9' : 'c-1',
          'FAILED',
        ),
      ),
    );
    for (const d of devices) await until(d.thingName, (r) => r.record.status === 'FAILED');
    for (const d of devices) h().plan.set(d.thingName, 'succeed');
    // Act
    const dry = await h().run(['redrive', '--failed', '--campaign', 'c-9', '--dry-run', '--json']);
    const result = await h().run(['redrive', '--failed', '--campaign', 'c-9', '--json']);
    // Assess
    expect(dry.code).toBe(EXIT.ok);
    expect(JSON.parse(dry.stdout).results.map((r: { result: string }) => r.result)).toEqual([
      'would redrive',
      'would redrive',
    ]);
    expect(dry.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    const out = z
      .object({
        count: z.number(),
        failed: z.number(),
        results: z.array(z.object({ thingName: z.string() })),
      })
      .parse(JSON.parse(result.stdout));
    expect(out.results.map((r) => r.thingName).sort()).toEqual(['c9-a', 'c9-b']);
    expect(out.failed).toBe(0);
    expect(await h().waitForExecution(arns[0] ?? '')).toBe('SUCCEEDED');
    expect(await h().waitForExecution(arns[1] ?? '')).toBe('SUCCEEDED');
    expect((await show('other-a')).record.status).toBe('FAILED');
  });
});

describe('progress', () => {
  it('goes to stderr on a terminal only, never into the result on stdout', async () => {
    // Act: the failed rotation of campaign c-1 is still there.
    const onTerminal = await h().run(
      ['redrive', '--failed', '--campaign', 'c-1', '--dry-run', '--json'],
      {},
      { stderrIsTTY: true },
    );
    const piped = await h().run(['redrive', '--failed', '--campaign', 'c-1', '--dry-run', '--json']);
    // Assess
    expect(onTerminal.stderr).toBe('[1/1] other-a');
    expect(piped.stderr).toBe('');
    expect(JSON.parse(onTerminal.stdout)).toEqual(JSON.parse(piped.stdout));
  });
});

describe('recert abandon', () => {
  it('stops the rotation, revokes the certificate it issued, keeps the old one, marks it ABANDONED', async () => {
    // Prepare: a rotation that issued a certificate and waits for the device.
    const device = await h().provision('stuck-1');
    h().plan.set('stuck-1', 'issue-and-wait');
    const arn = await startDirect(h(), 'stuck-1', device.certificateId, 'manual', undefined);
    const before = await until('stuck-1', (r) => r.record.newCertificateId !== undefined);
    const issued = before.record.newCertificateId ?? '';
    expect(await certificateStatus(issued)).toBe('ACTIVE');
    // Act
    const result = await h().run(['abandon', 'stuck-1']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`Stopped ${arn}`);
    expect(result.stdout).toContain(`Revoked and deleted certificate ${issued}`);
    expect(await h().waitForExecution(arn)).toBe('ABORTED');
    expect(await certificateStatus(issued)).toBe('DELETED');
    expect(await certificateStatus(device.certificateId)).toBe('ACTIVE');
    const principals = await h().iot.send(new ListThingPrincipalsCommand({ thingName: 'stuck-1' }));
    expect(principals.principals).toEqual([device.certificateArn]);
    const after = await show('stuck-1');
    expect(after.record.status).toBe('ABANDONED');
    expect(after.record.newCertificateId).toBeUndefined();
    expect(after.record.revokedCertificateIds).toEqual([issued]);
  });

  it('is idempotent: abandoning again succeeds and changes nothing', async () => {
    const result = await h().run(['abandon', 'stuck-1', '--json']);
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ alreadyAbandoned: true, stopped: false });
  });

  it('refuses to redrive an abandoned rotation', async () => {
    const result = await h().run(['redrive', 'stuck-1']);
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('abandoned by an operator');
  });

  it('refuses a rotation that succeeded: the device already uses its new certificate', async () => {
    const result = await h().run(['abandon', 'fine-1']);
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('succeeded');
  });

  it('refuses to revoke when the old certificate is no longer ACTIVE, after stopping', async () => {
    // Prepare: the old certificate was deactivated behind recert's back.
    const device = await h().provision('odd-1');
    h().plan.set('odd-1', 'issue-and-wait');
    const arn = await startDirect(h(), 'odd-1', device.certificateId, 'manual', undefined);
    const before = await until('odd-1', (r) => r.record.newCertificateId !== undefined);
    const { UpdateCertificateCommand } = await import('@aws-sdk/client-iot');
    await h().iot.send(
      new UpdateCertificateCommand({ certificateId: device.certificateId, newStatus: 'INACTIVE' }),
    );
    // Act
    const result = await h().run(['abandon', 'odd-1']);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain('would leave the device without a working one');
    expect(await h().waitForExecution(arn)).toBe('ABORTED');
    expect(await certificateStatus(before.record.newCertificateId ?? '')).toBe('ACTIVE');
  });

  it('names an unknown thing (exit 4)', async () => {
    const result = await h().run(['abandon', 'ghost-7']);
    expect(result.code).toBe(EXIT.notFound);
    expect(result.stderr).toContain('there is no thing named ghost-7');
  });
});

describe('recert redrive past the 14-day window', () => {
  const clock = new ManualClock(Date.now());
  const aged = useCliHarness({ clock });

  it('says the window has passed and how to start over (exit 5)', async () => {
    // Prepare: a rotation that failed 15 days ago (on the services' clock).
    const device = await aged().provision('old-1');
    aged().plan.set('old-1', 'fail');
    const arn = await startDirect(aged(), 'old-1', device.certificateId, 'manual', 'FAILED');
    await clock.advance(15 * 86_400_000);
    // Act
    const result = await aged().run(['redrive', arn]);
    // Assess
    expect(result.code).toBe(EXIT.refused);
    expect(result.stderr).toContain(
      'the 14-day redrive window has passed: start a new rotation with "recert rotate <thing> --fresh"',
    );
  });
});
