import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import {
  certificateStatus,
  eventually,
  fleetOn,
  startLocal,
  stopLocal,
  thingCertificateIds,
} from '../e2e/helpers.ts';
import { type CliRun, runIn } from './helpers/local-aws.ts';

const DAY = 86_400_000;

/**
 * The operator's day on the whole local AWS (the real workflow, functions and device agents),
 * through the CLI only: start rotations, watch them, abandon the one whose device went quiet.
 */
describe('recert against the local AWS of "recert local up"', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;
  const initial = new Map<string, string>();
  const run = (argv: string[]): Promise<CliRun> => {
    if (!env) throw new Error('no local AWS');
    return runIn(argv, { RECERT_LOCAL: '1', RECERT_STATE_DIR: env.dir }, env.dir);
  };
  const record = async (thing: string) => {
    const result = await run(['rotations', 'show', thing, '--json']);
    if (result.code !== EXIT.ok) return undefined;
    return z
      .object({
        record: z.object({ status: z.string(), phase: z.string(), newCertificateId: z.string().optional() }),
        timeline: z.array(z.object({ step: z.string(), outcome: z.string() })),
      })
      .parse(JSON.parse(result.stdout));
  };

  beforeAll(async () => {
    env = await startLocal();
    const now = env.local.clock.now();
    fleet = await fleetOn(env.local);
    const validity = { notBefore: new Date(now - DAY), notAfter: new Date(now + 200 * DAY) };
    const devices = await fleet.provision([
      { thingName: 'op-healthy', behaviour: 'healthy', ...validity },
      { thingName: 'op-silent', behaviour: 'silent', ...validity },
    ]);
    for (const d of devices) initial.set(d.thingName, d.initialCertificateId);
    await fleet.start();
  });

  afterAll(async () => {
    await fleet?.stop();
    await stopLocal(env);
  });

  it('finds the local AWS from its manifest', async () => {
    const result = await run(['local', 'status']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/MQTT\s+127\.0\.0\.1:\d+\s+yes/);
  });

  it('rotates a device started by hand, and shows the workflow steps it went through', async () => {
    // Act
    const started = await run(['rotate', 'op-healthy']);
    // Assess
    expect(started.code).toBe(EXIT.ok);
    expect(started.stdout).toMatch(/op-healthy\s+\w+\s+started/);
    const done = await eventually('op-healthy rotated', async () => {
      const shown = await record('op-healthy');
      // The record reads SUCCEEDED a moment before its execution ends (retire writes it last).
      return shown?.record.status === 'SUCCEEDED' && shown.timeline.at(-1)?.step === '(execution)'
        ? shown
        : undefined;
    });
    const steps = done.timeline.map((s) => s.step);
    expect(steps).toEqual(expect.arrayContaining(['RequestCsr', 'IssueAndDeliver', 'RetireOldCertificate']));
    expect(done.timeline.at(-1)).toMatchObject({ step: '(execution)', outcome: 'succeeded' });
    if (!env) throw new Error('no local AWS');
    const [current] = await thingCertificateIds(env.local, 'op-healthy');
    expect(current).not.toBe(initial.get('op-healthy'));
    const report = await run(['report', '--campaign', 'manual', '--format', 'csv']);
    expect(report.stdout).toContain(
      `op-healthy,${initial.get('op-healthy')},-,ROTATED,SUCCEEDED,DELETED,no,`,
    );
  });

  it('abandons the rotation of a device that stopped answering: the new certificate goes, the old stays', async () => {
    // Prepare: the silent device sends its CSR, then never acknowledges the certificate.
    if (!env) throw new Error('no local AWS');
    const local = env.local;
    expect((await run(['rotate', 'op-silent'])).code).toBe(EXIT.ok);
    const waiting = await eventually('op-silent waiting for its ack', async () => {
      const shown = await record('op-silent');
      return shown?.record.phase === 'AWAITING_ACK' && shown.record.newCertificateId ? shown : undefined;
    });
    const issued = waiting.record.newCertificateId ?? '';
    const status = await run(['status', '--json']);
    expect(JSON.parse(status.stdout).counts).toMatchObject({ IN_PROGRESS: 1, SUCCEEDED: 1 });
    // Act
    const abandoned = await run(['abandon', 'op-silent']);
    // Assess
    expect(abandoned.code).toBe(EXIT.ok);
    expect(abandoned.stdout).toContain(`Revoked and deleted certificate ${issued}`);
    expect(await certificateStatus(local, issued)).toBe('DELETED');
    const old = initial.get('op-silent') ?? '';
    expect(await certificateStatus(local, old)).toBe('ACTIVE');
    expect(await thingCertificateIds(local, 'op-silent')).toEqual([old]);
    expect((await record('op-silent'))?.record.status).toBe('ABANDONED');
    // The outcome recorder saw the ABORTED execution and left the abandoned record alone.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await record('op-silent'))?.record.status).toBe('ABANDONED');
  });
});
