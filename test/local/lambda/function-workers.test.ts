import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../lib/clock.ts';
import { FunctionRegistry, LambdaInvocationError } from '../../../local/lambda/registry.ts';
import {
  FunctionWorkers,
  type FunctionWorkersOptions,
} from '../../../local/lambda/worker/function-workers.ts';

const FACTORY = new URL('./fixtures/worker-factory.ts', import.meta.url).href;

/** Workers running the fixture's test functions, `init` handed to its factory; `more` overrides. */
const startTestWorkers = (count: number, init: object = {}, more: Partial<FunctionWorkersOptions> = {}) =>
  FunctionWorkers.start({
    count,
    factoryModule: FACTORY,
    factoryExport: 'buildTestFunctions',
    init,
    ...more,
  });

describe('function workers (the local Lambda service on worker threads)', () => {
  let workers: FunctionWorkers | undefined;
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
  });

  it('runs a registered function in another thread and returns its result through the registry', async () => {
    // Prepare
    workers = await startTestWorkers(1, { prefix: 'recert' });
    const registry = new FunctionRegistry('eu-west-1', '123456789012');
    registry.register('echo', workers.handler('echo'), 5);

    // Act
    const result = await registry.invoke('echo', { thingName: 'sensor-1' });

    // Assess
    expect(result).toMatchObject({
      event: { thingName: 'sensor-1' },
      prefix: 'recert',
      functionName: 'echo',
    });
    expect((result as { threadId: number }).threadId).not.toBe(threadId);
    const remaining = (result as { remainingMs: number }).remainingMs;
    expect(remaining).toBeGreaterThan(3_000);
    expect(remaining).toBeLessThanOrEqual(5_000);
    expect(registry.invocations().get('echo')).toBe(1);
    expect(workers.has('echo')).toBe(true);
    expect(workers.has('nope')).toBe(false);
  });

  it("reports a function's error by its name, as Lambda does, so the state machine's Retry can match it", async () => {
    // Prepare
    workers = await startTestWorkers(2);
    const registry = new FunctionRegistry('eu-west-1', '123456789012');
    registry.register('fail', workers.handler('fail'));
    registry.register('badResult', workers.handler('badResult'));

    // Act
    const failure = await registry.invoke('fail', {}).catch((error: unknown) => error);
    const bad = await registry.invoke('badResult', {}).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LambdaInvocationError);
    expect(failure).toMatchObject({
      errorType: 'DeviceUnreachable',
      errorMessage: 'the device did not answer',
    });
    expect(bad).toMatchObject({ errorType: 'Runtime.InvalidResult' });
  });

  it('fails the invocations still running when it closes, instead of leaving their callers waiting', async () => {
    // Prepare
    workers = await startTestWorkers(1);
    const running = workers.invoke('hang', {}, Date.now() + 10_000).catch((error: unknown) => error);

    // Act
    await workers.close();

    // Assess
    expect(await running).toMatchObject({ name: 'Runtime.ExitError' });
    await expect(workers.invoke('echo', {}, Date.now() + 1_000)).rejects.toMatchObject({
      name: 'Lambda.ServiceException',
    });
  });

  it('refuses to start with a module that does not build handlers, naming it', async () => {
    // Act
    const start = startTestWorkers(1, {}, { factoryExport: 'missingExport' });

    // Assess
    await expect(start).rejects.toMatchObject({ name: 'FunctionWorkerError' });
    await expect(start).rejects.toHaveProperty('cause.message', expect.stringContaining('missingExport'));
  });

  it('writes a CPU profile of each worker thread when asked to, as it closes', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'recert-worker-profile-'));
    workers = await startTestWorkers(2, { prefix: 'profiled' }, { cpuProfileDir: dir });
    const registry = new FunctionRegistry('eu-west-1', '123456789012');
    registry.register('echo', workers.handler('echo'), 5);
    for (let i = 0; i < 20; i++) await registry.invoke('echo', { i });

    // Act
    await workers.close();
    workers = undefined;

    // Assess: one V8 CPU profile per worker thread, in the format DevTools and the profilers read.
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file).toMatch(/^CPU\.functions-worker\./);
      const profile: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
      expect(profile).toMatchObject({ nodes: expect.any(Array), samples: expect.any(Array) });
    }
    await rm(dir, { recursive: true, force: true });
  });
});

describe('a scaled clock resumed in another thread', () => {
  it('reads the same time as the clock it was resumed from', () => {
    // Prepare
    const clock = new ScaledClock(3600, Date.UTC(2026, 0, 1));

    // Act
    const resumed = ScaledClock.resume(clock.origin());

    // Assess
    expect(Math.abs(resumed.now() - clock.now())).toBeLessThan(3600 * 5);
    expect(resumed.speed).toBe(3600);
  });
});
