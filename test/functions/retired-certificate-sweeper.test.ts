import {
  CertificateStateException,
  DeleteCertificateCommand,
  DeleteConflictException,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/event-triggered/retired-certificate-sweeper/handler.ts';
import { RetiredCertificates } from '../../functions/event-triggered/retired-certificate-sweeper/retired-entries.ts';
import {
  type SweepReport,
  sweepRetiredCertificates,
} from '../../functions/event-triggered/retired-certificate-sweeper/sweep.ts';
import {
  deleteDocument,
  fromAttributeMap,
  queryDocuments,
} from '../../functions/shared/document-commands.ts';
import { ManualClock } from '../../lib/clock.ts';
import { RETIRED_PARTITION } from '../../workflows/campaign/table.ts';
import { createCampaignTable } from './dynalite.ts';
import { recorders, useTable } from './harness.ts';

const START = Date.UTC(2026, 6, 1, 0, 0, 0);
const DAY = 86_400_000;
const CAMPAIGNS = 'campaigns-sweeper';
const certId = (n: number) => n.toString(16).padStart(64, '0');
const arn = (id: string) => `arn:aws:iot:us-east-1:000000000000:cert/${id}`;
const named = <E extends Error>(Ctor: new (o: { message: string; $metadata: object }) => E) =>
  new Ctor({ message: 'refused', $metadata: {} });

const table = useTable();
let entries: RetiredCertificates;
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
let clock: ManualClock;
let deleteTimes: number[];

beforeAll(async () => {
  await createCampaignTable(table.db, CAMPAIGNS);
  entries = new RetiredCertificates(table.db, CAMPAIGNS);
});
beforeEach(async () => {
  for (const item of await remaining()) {
    await table.db.send(
      deleteDocument({ TableName: CAMPAIGNS, Key: { campaignId: RETIRED_PARTITION, entry: item } }),
    );
  }
  clock = new ManualClock(START);
  deleteTimes = [];
  iotMock.reset();
  iotMock.on(DeleteCertificateCommand).callsFake(() => {
    deleteTimes.push(clock.now());
    return {};
  });
  iotMock.on(DescribeCertificateCommand).callsFake((input: { certificateId: string }) => ({
    certificateDescription: {
      certificateId: input.certificateId,
      certificateArn: arn(input.certificateId),
      status: 'INACTIVE',
    },
  }));
  iotMock.on(ListPrincipalThingsCommand).resolves({ things: [] });
  iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
  iotMock.on(DetachThingPrincipalCommand).resolves({});
  iotMock.on(DetachPolicyCommand).resolves({});
});

/** The sort keys left under the reserved partition, in order. */
async function remaining(): Promise<string[]> {
  const out = await table.db.send(
    queryDocuments({
      TableName: CAMPAIGNS,
      KeyConditionExpression: 'campaignId = :p',
      ExpressionAttributeValues: { ':p': RETIRED_PARTITION },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => String(fromAttributeMap(i).entry));
}
const remainingIds = async () => (await remaining()).map((e) => e.slice(e.indexOf('#') + 1));

async function keep(n: number, deleteAfter: number): Promise<string> {
  const certificateId = certId(n);
  await entries.put({ thingName: `thing-${n}`, certificateId, rotationId: `r-${n}`, deleteAfter });
  return certificateId;
}

/** Runs a sweep, moving the manual clock on while it waits for its delete slots. */
async function sweep(
  o: { deletesPerSecond?: number; budgetMs?: number; pageSize?: number; timeLeftMs?: () => number } = {},
): Promise<{ report: SweepReport; counts: string[]; lines: string[] }> {
  const r = recorders();
  let settled = false;
  const run = sweepRetiredCertificates({
    entries,
    iot,
    clock,
    log: r.log,
    counter: r.counter,
    deletesPerSecond: o.deletesPerSecond ?? 2,
    budgetMs: o.budgetMs ?? 840_000,
    ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}),
    ...(o.timeLeftMs ? { timeLeftMs: o.timeLeftMs } : {}),
  }).finally(() => {
    settled = true;
  });
  while (!settled) {
    if (clock.pendingTimers() > 0) await clock.advance(100);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return { report: await run, counts: r.counts, lines: r.lines };
}

describe('retired-certificate sweeper', () => {
  it('deletes only the certificates whose grace period ended, oldest deadline first', async () => {
    // Prepare: written out of order; two not due yet.
    const c3 = await keep(3, START - 1_000);
    const c1 = await keep(1, START - 3 * DAY);
    const later = await keep(9, START + 1_000);
    const c2 = await keep(2, START - DAY);
    const muchLater = await keep(8, START + 6 * DAY);

    // Act
    const { report, counts } = await sweep();

    // Assess
    expect(iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId)).toEqual([
      c1,
      c2,
      c3,
    ]);
    expect(await remainingIds()).toEqual([later, muchLater]);
    expect(report).toMatchObject({ deleted: 3, stoppedBy: 'done' });
    expect(counts.filter((c) => c === 'RetiredCertificateDeleted')).toHaveLength(3);
  });

  it('deletes an entry that is due at its very deadline', async () => {
    const id = await keep(1, START);
    await sweep();
    expect(deleteTimes).toHaveLength(1);
    expect(await remainingIds()).not.toContain(id);
  });

  it('paces its deletes at the configured rate, across pages', async () => {
    // Prepare
    for (let n = 1; n <= 7; n++) await keep(n, START - n * 1_000);

    // Act
    const { report } = await sweep({ deletesPerSecond: 2, pageSize: 3 });

    // Assess: 7 deletes, at least 500 ms apart, so 3 s from first to last.
    expect(report.deleted).toBe(7);
    const gaps = deleteTimes.slice(1).map((t, i) => t - (deleteTimes[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect((deleteTimes.at(-1) ?? 0) - (deleteTimes[0] ?? 0)).toBeGreaterThanOrEqual(3_000);
    expect(await remaining()).toEqual([]);
  });

  it('stops before its time budget runs out and leaves the rest to the next run', async () => {
    // Prepare: 50 s of budget leave 5 s to start deletes (45 s kept for the last one): 11 slots at 2/s.
    for (let n = 1; n <= 15; n++) await keep(n, START - DAY + n);

    // Act
    const first = await sweep({ budgetMs: 50_000 });

    // Assess
    expect(first.report).toMatchObject({ deleted: 11, stoppedBy: 'budget' });
    expect(clock.now() - START).toBeLessThanOrEqual(50_000);
    expect(await remainingIds()).toEqual([12, 13, 14, 15].map(certId));

    // Act: the next run takes the rest.
    const second = await sweep({ budgetMs: 50_000 });
    expect(second.report).toMatchObject({ deleted: 4, stoppedBy: 'done' });
    expect(await remaining()).toEqual([]);
  });

  it('also stops when the invocation has little real time left (Lambda stopping it), whatever its budget', async () => {
    // Prepare: the invocation's real time runs short after the second delete.
    for (let n = 1; n <= 5; n++) await keep(n, START - DAY + n);

    // Act
    const { report } = await sweep({ timeLeftMs: () => (deleteTimes.length >= 2 ? 1_000 : 600_000) });

    // Assess
    expect(report).toMatchObject({ deleted: 2, stoppedBy: 'budget' });
    expect(await remainingIds()).toEqual([3, 4, 5].map(certId));
  });

  it('on a delete conflict, detaches what is still attached and deletes once more', async () => {
    // Prepare: a thing and a policy were attached again after retire detached them.
    const id = await keep(1, START - DAY);
    iotMock.on(DeleteCertificateCommand).rejectsOnce(named(DeleteConflictException)).resolves({});
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: ['thing-1'] });
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'device-policy' }] });

    // Act
    const { report } = await sweep();

    // Assess
    expect(iotMock.commandCalls(DetachThingPrincipalCommand).map((c) => c.args[0].input)).toEqual([
      { thingName: 'thing-1', principal: arn(id) },
    ]);
    expect(iotMock.commandCalls(DetachPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { policyName: 'device-policy', target: arn(id) },
    ]);
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(2);
    expect(report).toMatchObject({ deleted: 1 });
    expect(await remaining()).toEqual([]);
  });

  it('keeps the entry for the next run when the delete conflicts again (a detach not yet visible)', async () => {
    const id = await keep(1, START - DAY);
    iotMock.on(DeleteCertificateCommand).rejects(named(DeleteConflictException));
    const { report } = await sweep();
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(2);
    expect(report).toMatchObject({ deleted: 0, deferred: 1 });
    expect(await remainingIds()).toEqual([id]);
  });

  it('counts a certificate that is already gone as done and removes its entry', async () => {
    await keep(1, START - DAY);
    iotMock.on(DeleteCertificateCommand).rejects(named(ResourceNotFoundException));
    const { report } = await sweep();
    expect(report).toMatchObject({ deleted: 0, absent: 1, failed: 0 });
    expect(await remaining()).toEqual([]);
  });

  it('leaves a reactivated certificate alone, logs it and removes its entry', async () => {
    // Prepare: an operator set the kept certificate ACTIVE again.
    const id = await keep(1, START - DAY);
    iotMock.on(DeleteCertificateCommand).rejects(named(CertificateStateException));
    iotMock.on(DescribeCertificateCommand).resolves({
      certificateDescription: { certificateId: id, certificateArn: arn(id), status: 'ACTIVE' },
    });

    // Act
    const { report, lines, counts } = await sweep();

    // Assess: nothing detached from it, one delete tried (AWS refused it), entry gone.
    expect(iotMock.commandCalls(DetachThingPrincipalCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(DetachPolicyCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(1);
    expect(report).toMatchObject({ leftAlone: 1, deleted: 0 });
    expect(counts).toContain('RetiredCertificateReactivated');
    expect(lines.some((l) => l.includes('"level":"warn"') && l.includes(id) && l.includes('ACTIVE'))).toBe(
      true,
    );
    expect(await remaining()).toEqual([]);
  });

  it('stops at a throttle that outlasted the SDK retries and keeps every entry not done', async () => {
    const a = await keep(1, START - 2 * DAY);
    const b = await keep(2, START - DAY);
    iotMock
      .on(DeleteCertificateCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const { report } = await sweep();
    expect(report).toMatchObject({ stoppedBy: 'transient', failed: 1 });
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(1);
    expect(await remainingIds()).toEqual([a, b]);
  });

  it('goes on past a certificate it may not delete, which keeps its entry and is logged with a named error', async () => {
    const a = await keep(1, START - 2 * DAY);
    const b = await keep(2, START - DAY);
    iotMock
      .on(DeleteCertificateCommand, { certificateId: a })
      .rejects(Object.assign(new Error('no'), { name: 'UnauthorizedException' }));
    const { report, lines } = await sweep();
    expect(report).toMatchObject({ deleted: 1, failed: 1, stoppedBy: 'done' });
    expect(await remainingIds()).toEqual([a]);
    expect(await remainingIds()).not.toContain(b);
    expect(lines.some((l) => l.includes('"level":"error"') && l.includes('UnauthorizedException'))).toBe(
      true,
    );
  });

  it('refuses a rate of zero when built, naming the setting', () => {
    expect(() =>
      createHandler({ db: table.db, campaignTableName: CAMPAIGNS, iot, sweepDeletesPerSecond: 0 }),
    ).toThrow(
      expect.objectContaining({
        name: 'InvalidSweeperSettingError',
        message: expect.stringContaining('deletes per second'),
      }),
    );
  });
});
