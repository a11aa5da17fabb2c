/**
 * Old certificates kept for a grace period of one day: the retire step records when each may go, and
 * the scheduled sweeper deletes it once the day is over. Each grant of that path taken away: retire
 * fails at its step, or the sweeper's run leaves the certificate (and says so) or fails. After each
 * case, with the grant back, the next run deletes what was left; at the end a fresh rotation's old
 * certificate goes the same way.
 */
import { AttachPolicyCommand, AttachThingPrincipalCommand } from '@aws-sdk/client-iot';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDevice } from '../../../device/fleet/simulated-device.ts';
import { CAMPAIGN_TABLE, RETIRED_PARTITION } from '../../../workflows/campaign/table.ts';
import { certificateStatus, eventually, thingCertificateIds } from '../helpers.ts';
import { JumpClock } from '../jump-clock.ts';
import { GRACE_CASES, type GraceCase } from './cases.ts';
import {
  addDevice,
  CASE_TIMEOUT_MS,
  deniedFragment,
  type Env,
  ended,
  failure,
  logLine,
  policySnapshot,
  roleOf,
  startRotation,
  WAIT_MS,
  withoutGrants,
} from './harness.ts';
import { leastPrivilegeSuite } from './suite.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Past the one-day grace and the sweeper's next 15-minute run. */
const PAST_GRACE = DAY + 20 * MINUTE;
/** The sweeper's next run. */
const NEXT_RUN = 16 * MINUTE;
const SWEEPER = 'recert-retired-certificate-sweeper';

/** The functions' structured log lines (errors only here), as Lambda would send them to CloudWatch. */
const functionLogs: string[] = [];
const streams = [process.stdout, process.stderr] as const;
const writes = streams.map((stream) => stream.write);

/** Keeps the functions' log lines (Powertools writes errors to stderr) out of the test output, for reading. */
function captureFunctionLogs(): void {
  streams.forEach((stream, index) => {
    const write = writes[index]?.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{') && text.includes('"service":"recert"')) {
        functionLogs.push(text);
        return true;
      }
      return write ? write(chunk, ...rest) : true;
    }) as typeof stream.write;
  });
}

function releaseFunctionLogs(): void {
  streams.forEach((stream, index) => {
    const write = writes[index];
    if (write) stream.write = write;
  });
}

/** Waits for a function log line with every fragment, logged after the first `since`. */
function functionLog(since: number, ...fragments: string[]): Promise<string> {
  return eventually(
    `a function log line with ${fragments.join(' + ')}`,
    async () => functionLogs.slice(since).find((line) => fragments.every((f) => line.includes(f))),
    WAIT_MS,
  );
}

async function retiredEntries(env: Env): Promise<Record<string, unknown>[]> {
  const out = await env.local.clients.documents.send(
    new QueryCommand({
      TableName: env.local.resources.campaignTableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': CAMPAIGN_TABLE.partitionKey.name },
      ExpressionAttributeValues: { ':pk': RETIRED_PARTITION },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

const certificateArn = (env: Env, id: string) =>
  `arn:aws:iot:${env.local.resources.region}:${env.local.resources.accountId}:cert/${id}`;

describe('least privilege: old certificates kept for a grace period', { timeout: CASE_TIMEOUT_MS }, () => {
  const clock = new JumpClock();
  beforeAll(captureFunctionLogs);
  afterAll(releaseFunctionLogs);
  const suite = leastPrivilegeSuite('grace', {
    local: {
      clock,
      clockSpeed: 1,
      functionSettings: { graceDays: 1 },
      scheduleWallGapMs: 20,
      functionLogLevel: 'ERROR',
    },
  });
  const nextThing = suite.nextThing;

  /** Rotates a device of its own: its old certificate is left INACTIVE, due after a day. */
  async function rotated(local: Env): Promise<SimulatedDevice> {
    const device = await addDevice(local, nextThing());
    expect((await ended(local, await startRotation(local, device))).status).toBe('SUCCEEDED');
    expect(await certificateStatus(local.local, device.initialCertificateId)).toBe('INACTIVE');
    return device;
  }

  /** With every grant back, the next runs delete what is due and leave no entry. */
  async function sweptClean(local: Env, certificateId: string): Promise<void> {
    await eventually(
      `${certificateId} deleted by a later run`,
      async () => {
        if (
          (await certificateStatus(local.local, certificateId)) === 'DELETED' &&
          (await retiredEntries(local)).length === 0
        )
          return true;
        clock.jump(NEXT_RUN);
        await local.local.idle();
        return undefined;
      },
      WAIT_MS,
    );
  }

  it.each(GRACE_CASES)('$identity without $action: the $shows shows $code', async (c: GraceCase) => {
    const local = suite.env();
    const role = `assumed-role/${roleOf(local, c.identity)}/`;
    const removal = {
      identity: c.identity,
      action: c.action,
      ...(c.onResource ? { onResource: c.onResource } : {}),
    };

    if (c.shows === 'retire') {
      // Prepare, Act: a rotation up to its retire step.
      const device = await addDevice(local, nextThing());
      const failed = await withoutGrants(local, [removal], async () =>
        failure(local, await startRotation(local, device)),
      );
      // Assess: it fails there before touching the old certificate, which stays in service.
      expect(failed.state).toBe('RetireOldCertificate');
      expect(failed.error).toBe(c.code);
      expect(failed.cause).toContain(deniedFragment(c.action));
      expect(failed.cause).toContain(role);
      expect(await certificateStatus(local.local, device.initialCertificateId)).toBe('ACTIVE');
      expect(await thingCertificateIds(local.local, device.thingName)).toContain(device.initialCertificateId);
      return;
    }

    // Prepare: a retired certificate; for the detach path, its thing and policy attached again.
    const device = await rotated(local);
    const old = device.initialCertificateId;
    if (c.reattached) {
      const principal = certificateArn(local, old);
      await local.local.clients.iot.send(
        new AttachPolicyCommand({ policyName: local.local.resources.devicePolicyName, target: principal }),
      );
      await local.local.clients.iot.send(
        new AttachThingPrincipalCommand({ thingName: device.thingName, principal }),
      );
    }
    const logsSince = local.logs.length;
    const functionLogsSince = functionLogs.length;
    const denialsSince = local.denials.length;

    await withoutGrants(local, [removal], async () => {
      // Act: the day passes; the sweeper runs.
      clock.jump(PAST_GRACE);

      // Assess
      if (c.shows === 'sweep-log') {
        // The run goes on, but reports the certificate it could not delete, which is still there.
        await functionLog(
          functionLogsSince,
          `retired certificate ${old} of ${device.thingName} was not deleted: ${c.code}`,
        );
        const denial = local.denials
          .slice(denialsSince)
          .find((d) => d.principalArn.includes(role) && d.action === c.action.toLowerCase());
        expect(denial, `a denial of ${c.action} to ${role}`).toBeDefined();
        expect(await certificateStatus(local.local, old)).toBe('INACTIVE');
      } else {
        // The run itself fails with the denial.
        const line = await logLine(local, logsSince, `schedule: ${SWEEPER} failed`, deniedFragment(c.action));
        expect(line).toContain(`${c.code}: User: `);
        expect(line).toContain(role);
      }
      expect((await retiredEntries(local)).length).toBeGreaterThan(0);
      await local.local.idle();
    });

    // With the grant back, a later run finishes the job.
    await sweptClean(local, old);
  });

  it('with every policy as deployed again, an old certificate is kept a day and then deleted (negative control)', async () => {
    const local = suite.env();
    expect(policySnapshot(local)).toEqual(suite.deployed());
    const device = await rotated(local);
    expect((await retiredEntries(local)).length).toBe(1);
    clock.jump(PAST_GRACE);
    await eventually(
      'the old certificate deleted',
      async () =>
        (await certificateStatus(local.local, device.initialCertificateId)) === 'DELETED' ? true : undefined,
      WAIT_MS,
    );
    await eventually(
      'no entry left',
      async () => ((await retiredEntries(local)).length === 0 ? true : undefined),
      WAIT_MS,
    );
  });
});
