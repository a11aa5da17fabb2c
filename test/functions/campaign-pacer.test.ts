import { IoTClient, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type PacerDeps, pace } from '../../functions/campaign-steps/campaign-pacer/campaign-pacer.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { PaceEvent } from '../../workflows/campaign/events.ts';
import type { PacingSettings } from '../../workflows/campaign/pacing.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { drive, MemoryCampaignStore } from './campaign-fakes.ts';
import { recorders } from './harness.ts';

const ROTATION_SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:recert-rotate-device';
const CAMPAIGN_SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:recert-campaign';
const iot = new IoTClient({ region: 'us-east-1' });
const sfn = new SFNClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const sfnMock = mockClient(sfn);
const cert = (i: number): string => i.toString(16).padStart(64, '0');
const certArn = (i: number): string => `arn:aws:iot:us-east-1:123456789012:cert/${cert(i)}`;

const pacing = (overrides: Partial<PacingSettings> = {}): PacingSettings => ({
  startsPerSecond: 5,
  maxInFlight: 1000,
  failureRateThreshold: 0.1,
  minFinishedForFailureRate: 20,
  ...overrides,
});

const event = (p: PacingSettings, overrides: Partial<PaceEvent> = {}): PaceEvent => ({
  campaignId: 'audit-t1',
  pacing: p,
  generation: 0,
  turn: 1,
  lastTurn: false,
  stateMachineArn: CAMPAIGN_SM,
  ...overrides,
});

/** Every StartExecution of a rotation: when (on the clock), its name and input. */
let starts: { at: number; name: string; input: unknown }[];
let clock: ManualClock;

function deps(store: MemoryCampaignStore, tickSeconds = 20): PacerDeps {
  const { log, counter } = recorders();
  return {
    store,
    iot,
    sfn,
    clock,
    log,
    counter,
    rotationStateMachineArn: ROTATION_SM,
    region: 'us-east-1',
    tickMs: tickSeconds * 1000,
    pollMs: 500,
  };
}

beforeEach(() => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  starts = [];
  iotMock.reset();
  sfnMock.reset();
  // Certificate i is on thing `thing-i`; certificate 999 is on none.
  iotMock.on(ListPrincipalThingsCommand).callsFake((input: { principal: string }) => {
    const id = input.principal.split('/').at(-1) ?? '';
    const i = Number.parseInt(id, 16);
    return { things: i === 999 ? [] : [`thing-${i}`] };
  });
  const seen = new Set<string>();
  sfnMock
    .on(StartExecutionCommand)
    .callsFake((input: { name: string; input: string; stateMachineArn: string }) => {
      if (seen.has(input.name)) {
        throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
      }
      seen.add(input.name);
      if (input.stateMachineArn === ROTATION_SM) {
        starts.push({ at: clock.now(), name: input.name, input: JSON.parse(input.input) });
      }
      return { executionArn: `${input.stateMachineArn}:${input.name}`, startDate: new Date(clock.now()) };
    });
});

function maxStartsInAnySecond(times: readonly number[]): number {
  let most = 0;
  for (const from of times) most = Math.max(most, times.filter((t) => t >= from && t < from + 1000).length);
  return most;
}

describe('campaign pacer', () => {
  it('starts every queued rotation in order, evenly, never more per second than the rate', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 40 }, (_, i) => cert(i + 1)));
    // Act
    const result = await drive(clock, pace(event(pacing({ startsPerSecond: 5 })), deps(store)));
    // Assess
    expect(result.status).toBe('done');
    expect(result.started).toBe(40);
    expect(starts.map((s) => s.name)).toEqual(
      Array.from({ length: 40 }, (_, i) => executionName(`thing-${i + 1}`, cert(i + 1))),
    );
    expect(starts[0]?.input).toEqual({
      thingName: 'thing-1',
      oldCertificateId: cert(1),
      campaign: 'audit-t1',
    });
    expect(maxStartsInAnySecond(starts.map((s) => s.at))).toBeLessThanOrEqual(5);
    // 40 starts at 5/s take about 8 s, not a burst then a wait.
    const span = (starts.at(-1)?.at ?? 0) - (starts[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual(7_600);
    expect(store.meta).toMatchObject({ status: 'STARTED_ALL', started: 40, nextPosition: 40 });
  });

  it("ends its turn while the invocation still has time to commit, when Lambda's clock runs out before the turn's", async () => {
    // Prepare: a one-minute turn, but only 30 s of the invocation left, running down with the clock.
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 200 }, (_, i) => cert(i + 1)));
    const begun = clock.now();
    const remainingMs = (): number => 30_000 - (clock.now() - begun);

    // Act
    const result = await drive(
      clock,
      pace(event(pacing({ startsPerSecond: 5 })), { ...deps(store, 60), remainingMs }),
    );

    // Assess: about 10 s of starts, all committed; the rest waits for the next turn.
    expect(result.status).toBe('running');
    expect(result.started).toBeGreaterThanOrEqual(40);
    expect(result.started).toBeLessThanOrEqual(60);
    expect(store.meta).toMatchObject({ nextPosition: result.started, started: result.started });
    expect(clock.now() - begun).toBeLessThan(30_000 - 10_000);
  });

  it('keeps the rate across turns: the next turn does not start at once where the last one stopped', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 30 }, (_, i) => cert(i + 1)));
    // Act: turns of 1.1 s back to back, as the state machine runs them
    const statuses: string[] = [];
    for (let turn = 1; turn <= 10; turn++) {
      const result = await drive(
        clock,
        pace(event(pacing({ startsPerSecond: 4 }), { turn }), { ...deps(store), tickMs: 1100 }),
      );
      statuses.push(result.status);
      if (result.status === 'done') break;
    }
    // Assess
    expect(statuses.at(-1)).toBe('done');
    expect(starts).toHaveLength(30);
    expect(maxStartsInAnySecond(starts.map((s) => s.at))).toBeLessThanOrEqual(4);
  });

  it('keeps a fractional rate: 2.5 per second never becomes 3 in a second', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 20 }, (_, i) => cert(i + 1)));
    // Act
    await drive(clock, pace(event(pacing({ startsPerSecond: 2.5 })), deps(store)));
    // Assess
    expect(starts).toHaveLength(20);
    expect(maxStartsInAnySecond(starts.map((s) => s.at))).toBeLessThanOrEqual(3);
    const span = (starts.at(-1)?.at ?? 0) - (starts[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual((19 / 2.5) * 1000 - 50);
  });

  it('never has more rotations in flight than the ceiling, and a parked rotation frees its slot', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 10 }, (_, i) => cert(i + 1)));
    // Act: nothing finishes during the first turn
    const first = await drive(clock, pace(event(pacing({ maxInFlight: 3 })), deps(store, 5)));
    // Assess
    expect(first.status).toBe('waiting');
    expect(starts).toHaveLength(3);
    // Act: two devices are offline (parked), one rotation succeeded
    store.set({ parked: 2, succeeded: 1 });
    const second = await drive(clock, pace(event(pacing({ maxInFlight: 3 }), { turn: 2 }), deps(store, 5)));
    // Assess: three slots were freed, so three more started
    expect(second.started).toBe(3);
    expect(starts).toHaveLength(6);
    expect(store.meta?.nextPosition).toBe(6);
  });

  it('counts nothing twice when a turn is replayed after a crash between its starts and its cursor move', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 6 }, (_, i) => cert(i + 1)));
    store.crashNextCommit = true;
    // Act
    await expect(drive(clock, pace(event(pacing()), deps(store)))).rejects.toThrow('killed');
    const replay = await drive(clock, pace(event(pacing()), deps(store)));
    // Assess
    expect(replay.status).toBe('done');
    expect(starts).toHaveLength(6);
    expect(store.meta).toMatchObject({ started: 6 - replay.alreadyStarted, nextPosition: 6 });
    expect(replay.alreadyStarted).toBeGreaterThan(0);
    expect((store.meta?.started ?? 0) + (store.meta?.alreadyStarted ?? 0)).toBe(6);
  });

  it('stops the campaign with the reason when the failure rate passes the threshold', async () => {
    // Prepare: 5 of 20 finished rotations failed, over 10%
    const store = new MemoryCampaignStore('audit-t1', { started: 20, succeeded: 15, failed: 5 });
    store.queueCertificates([cert(1), cert(2)]);
    // Act
    const run = drive(
      clock,
      pace(event(pacing({ failureRateThreshold: 0.1, minFinishedForFailureRate: 20 })), deps(store)),
    );
    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'RecertCampaignStopped',
      message: expect.stringContaining('5 of 20 rotations finished since the campaign started failed (25%)'),
    });
    expect(starts).toHaveLength(0);
    expect(store.meta?.status).toBe('STOPPED');
    expect(store.meta?.stopReason).toContain('over the 10% threshold; no more rotations are started');
  });

  it('does not judge a rate before enough rotations finished', async () => {
    // Prepare: 3 of 5 failed, but 20 must finish first
    const store = new MemoryCampaignStore('audit-t1', { started: 5, succeeded: 2, failed: 3 });
    store.queueCertificates([cert(1)]);
    // Act
    const result = await drive(clock, pace(event(pacing()), deps(store)));
    // Assess
    expect(result.status).toBe('done');
    expect(starts).toHaveLength(1);
  });

  it('counts only what finished since a resume', async () => {
    // Prepare: 10 failures before the resume, 1 of 25 since
    const store = new MemoryCampaignStore('audit-t1', {
      started: 45,
      succeeded: 34,
      failed: 11,
      baselineSucceeded: 10,
      baselineFailed: 10,
      resumedAt: '2026-01-01T00:00:00.000Z',
    });
    store.queueCertificates([cert(1)]);
    // Act
    const result = await drive(clock, pace(event(pacing()), deps(store)));
    // Assess
    expect(result.status).toBe('done');
  });

  it('respects a STOPPED campaign: it starts nothing and fails with the stored reason', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1', { status: 'STOPPED', stopReason: 'stopped by alice' });
    store.queueCertificates([cert(1)]);
    // Act / Assess
    await expect(drive(clock, pace(event(pacing()), deps(store)))).rejects.toMatchObject({
      name: 'RecertCampaignStopped',
      message: 'stopped by alice',
    });
    expect(starts).toHaveLength(0);
  });

  it('skips a certificate on no thing and does not look up a thing it was given', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates([cert(999)]);
    store.queueCertificates([cert(7)], () => 'known-thing');
    // Act
    const result = await drive(clock, pace(event(pacing()), deps(store)));
    // Assess
    expect(result).toMatchObject({ status: 'done', started: 1, skipped: 1 });
    expect(starts.map((s) => s.name)).toEqual([executionName('known-thing', cert(7))]);
    const looked = iotMock.commandCalls(ListPrincipalThingsCommand).map((c) => c.args[0].input.principal);
    expect(looked).toEqual([certArn(999)]);
  });

  it('waits for the queue while findings are still being enqueued', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1', { status: 'ENQUEUEING', enqueueDone: false });
    store.queueCertificates([cert(1)]);
    // Act
    const result = await drive(clock, pace(event(pacing()), deps(store, 3)));
    // Assess
    expect(result.status).toBe('waiting');
    expect(starts).toHaveLength(1);
    expect(store.meta?.status).toBe('ENQUEUEING');
  });

  it('hands over to a fresh execution on its last turn, with the next generation', async () => {
    // Prepare: 100 rotations at 5/s do not fit in a 3 s turn
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 100 }, (_, i) => cert(i + 1)));
    // Act
    const result = await drive(clock, pace(event(pacing(), { lastTurn: true, turn: 250 }), deps(store, 3)));
    // Assess
    expect(result.status).toBe('continued');
    const handover = sfnMock
      .commandCalls(StartExecutionCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.stateMachineArn === CAMPAIGN_SM);
    expect(handover).toHaveLength(1);
    expect(handover[0]?.name).toBe('audit-t1--1');
    expect(JSON.parse(handover[0]?.input ?? '{}')).toMatchObject({
      campaignId: 'audit-t1',
      generation: 1,
      source: { kind: 'audit', taskId: 't1' },
    });
    expect(store.meta?.generation).toBe(1);
    expect(starts.length).toBeLessThanOrEqual(16);
  });

  it("does not hand over an operator's list before it is all queued (only this execution has the list)", async () => {
    // Prepare
    const store = new MemoryCampaignStore('manual-1', {
      status: 'ENQUEUEING',
      enqueueDone: false,
      source: { kind: 'manual', count: 500 },
    });
    store.queueCertificates(Array.from({ length: 100 }, (_, i) => cert(i + 1)));
    // Act
    const result = await drive(
      clock,
      pace(event(pacing(), { campaignId: 'manual-1', lastTurn: true }), deps(store, 3)),
    );
    // Assess
    expect(result.status).toBe('running');
    expect(store.meta?.generation).toBe(0);
    expect(
      sfnMock
        .commandCalls(StartExecutionCommand)
        .filter((c) => c.args[0].input.stateMachineArn === CAMPAIGN_SM),
    ).toHaveLength(0);
  });

  it('an older generation stops pacing once a newer one took over', async () => {
    // Prepare
    const store = new MemoryCampaignStore('audit-t1', { generation: 2 });
    store.queueCertificates([cert(1)]);
    // Act
    const result = await drive(clock, pace(event(pacing(), { generation: 1 }), deps(store)));
    // Assess
    expect(result.status).toBe('continued');
    expect(starts).toHaveLength(0);
  });

  it('stops a batch at a throttled start, keeps the progress before it, and is retried', async () => {
    // Prepare: the third start is throttled once
    const store = new MemoryCampaignStore('audit-t1');
    store.queueCertificates(Array.from({ length: 5 }, (_, i) => cert(i + 1)));
    const throttled = executionName('thing-3', cert(3));
    let throttledOnce = false;
    const seen = new Set<string>();
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      if (input.name === throttled && !throttledOnce) {
        throttledOnce = true;
        throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
      }
      if (seen.has(input.name)) throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
      seen.add(input.name);
      starts.push({ at: clock.now(), name: input.name, input: {} });
      return { executionArn: input.name, startDate: new Date() };
    });
    // Act
    await expect(
      drive(clock, pace(event(pacing({ startsPerSecond: 1 })), deps(store))),
    ).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    const cursorAfterThrottle = store.meta?.nextPosition;
    const retry = await drive(clock, pace(event(pacing({ startsPerSecond: 1 })), deps(store)));
    // Assess
    expect(cursorAfterThrottle).toBe(2);
    expect(retry.status).toBe('done');
    expect(new Set(starts.map((s) => s.name)).size).toBe(5);
    expect(store.meta?.started).toBe(5);
  });

  it('rejects an event that is not a pace event, naming the field', async () => {
    // Act / Assess
    const store = new MemoryCampaignStore('audit-t1');
    await expect(pace({ campaignId: 'x' }, deps(store))).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('pacing'),
    });
  });
});
