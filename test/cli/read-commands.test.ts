import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { runCli } from '../../cli/main.ts';
import { createTarget } from '../../cli/target/clients.ts';
import { LOCAL_CREDENTIALS } from '../../local/config.ts';
import { startCloudFormationDouble } from './helpers/cloudformation-double.ts';
import { runIn, useCliHarness } from './helpers/local-aws.ts';
import { startDirect, waitForRecordStatus } from './helpers/start-execution.ts';

const arns: Record<string, string> = {};

const h = useCliHarness();
beforeAll(async () => {
  // Prepare: four devices, rotations that succeeded, failed, and one waiting for its device.
  const devices = await Promise.all(['ok-1', 'bad-1', 'bad-2', 'slow-1'].map((t) => h().provision(t)));
  await h().provision('never-rotated');
  h().plan.set('bad-1', 'fail').set('bad-2', 'fail').set('slow-1', 'issue-and-wait');
  for (const d of devices) {
    const campaign = d.thingName === 'bad-2' ? 'audit-task-7' : 'manual';
    const settle =
      d.thingName === 'slow-1' ? undefined : d.thingName.startsWith('bad') ? 'FAILED' : 'SUCCEEDED';
    arns[d.thingName] = await startDirect(h(), d.thingName, d.certificateId, campaign, settle);
  }
  await waitForRecordStatus(h(), 'bad-1', 'FAILED');
  await waitForRecordStatus(h(), 'bad-2', 'FAILED');
  const deadline = Date.now() + 10_000;
  while (!(await h().run(['rotations', 'show', 'slow-1'])).stdout.includes('AWAITING_ACK')) {
    if (Date.now() > deadline) throw new Error('slow-1 never reached AWAITING_ACK');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});

const StatusJson = z.object({
  counts: z.record(z.string(), z.number()),
  oldestInFlight: z.array(z.object({ thingName: z.string(), phase: z.string() })),
  recentFailures: z.array(z.object({ thingName: z.string(), lastError: z.string() })),
});

describe('recert status', () => {
  it('counts rotations by status and lists what is in flight and what failed', async () => {
    // Act
    const result = await h().run(['status', '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const status = StatusJson.parse(JSON.parse(result.stdout));
    expect(status.counts).toMatchObject({
      IN_PROGRESS: 1,
      SUCCEEDED: 1,
      FAILED: 2,
      TIMED_OUT: 0,
      ABANDONED: 0,
    });
    expect(status.oldestInFlight.map((r) => [r.thingName, r.phase])).toEqual([['slow-1', 'AWAITING_ACK']]);
    expect(status.recentFailures.map((r) => r.thingName).sort()).toEqual(['bad-1', 'bad-2']);
    expect(status.recentFailures[0]?.lastError).toContain('DeviceUnreachable');
  });

  it('prints tables for people, without task tokens', async () => {
    const result = await h().run(['status']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/FAILED\s+2/);
    expect(result.stdout).toMatch(/slow-1\s+AWAITING_ACK/);
    expect(result.stdout).not.toMatch(/taskToken/i);
  });
});

const ListJson = z.object({
  count: z.number(),
  rotations: z.array(z.object({ thingName: z.string(), status: z.string(), campaign: z.string() })),
});

describe('recert rotations list', () => {
  it('filters by status', async () => {
    const result = await h().run(['rotations', 'list', '--status', 'failed', '--json']);
    expect(result.code).toBe(EXIT.ok);
    const list = ListJson.parse(JSON.parse(result.stdout));
    expect(list.rotations.map((r) => r.thingName).sort()).toEqual(['bad-1', 'bad-2']);
  });

  it('filters by campaign', async () => {
    const result = await h().run(['rotations', 'list', '--campaign', 'audit-task-7', '--json']);
    const list = ListJson.parse(JSON.parse(result.stdout));
    expect(list.rotations.map((r) => r.thingName)).toEqual(['bad-2']);
  });

  it('filters by age: nothing was updated in the future, everything within the hour', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const none = ListJson.parse(
      JSON.parse((await h().run(['rotations', 'list', '--since', tomorrow, '--json'])).stdout),
    );
    const recent = ListJson.parse(
      JSON.parse((await h().run(['rotations', 'list', '--since', '1h', '--json'])).stdout),
    );
    expect(none.count).toBe(0);
    expect(recent.count).toBe(4);
  });

  it('pages through the index and honours --limit', async () => {
    const result = await h().run(['rotations', 'list', '--limit', '3', '--json']);
    expect(ListJson.parse(JSON.parse(result.stdout)).count).toBe(3);
  });

  it('prints a table with a count', async () => {
    const result = await h().run(['rotations', 'list']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.split('\n')[0]).toMatch(/^THING\s+STATUS\s+PHASE/);
    expect(result.stdout).toContain('4 rotations');
  });
});

const ShowJson = z.object({
  record: z.object({ thingName: z.string(), status: z.string() }).passthrough(),
  execution: z.object({ status: z.string(), redriveStatus: z.string().optional() }).nullable(),
  timeline: z.array(z.object({ step: z.string(), outcome: z.string(), error: z.string().nullish() })),
});

describe('recert rotations show', () => {
  it('gives the record and a timeline that ends at the failed step with its error', async () => {
    // Act
    const result = await h().run(['rotations', 'show', 'bad-1', '--json']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const shown = ShowJson.parse(JSON.parse(result.stdout));
    expect(shown.record.status).toBe('FAILED');
    expect(shown.execution?.status).toBe('FAILED');
    expect(shown.execution?.redriveStatus).toBe('REDRIVABLE');
    const steps = shown.timeline.map((s) => [s.step, s.outcome]);
    expect(steps).toEqual([
      ['(execution)', 'started'],
      ['ClaimThing', 'succeeded'],
      ['RequestCsr', 'failed'],
      ['(execution)', 'failed'],
    ]);
    expect(shown.timeline[2]?.error).toBe('DeviceUnreachable: bad-1 did not answer csr_req');
    // No console link for the local AWS, and never the task token or a PEM.
    expect(result.stdout).not.toContain('console.aws.amazon.com');
    expect(result.stdout).not.toMatch(/taskToken|BEGIN CERTIFICATE/);
  });

  it('links the execution to the Step Functions console when the target is AWS', async () => {
    // Prepare: the AWS code path (kind "aws") with its clients pointed at the local services.
    const { endpoints, resources } = h().manifest;
    const out: string[] = [];
    // Act
    const code = await runCli(
      ['rotations', 'show', 'bad-1'],
      { stdout: (line) => out.push(line), stderr: () => {}, env: {}, cwd: h().stateDir },
      {
        connect: async () =>
          createTarget('aws', resources, {
            region: resources.region,
            endpoints: {
              stepFunctions: endpoints.stepFunctions,
              iot: endpoints.iot,
              dynamodb: endpoints.dynamodb,
            },
            credentials: LOCAL_CREDENTIALS,
          }),
      },
    );
    // Assess
    expect(code).toBe(EXIT.ok);
    expect(out.join('\n')).toContain(
      `Console:      https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arns['bad-1']}`,
    );
  });

  it('shows a waiting rotation as running at its callback step', async () => {
    const result = await h().run(['rotations', 'show', 'slow-1']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/Status:\s+IN_PROGRESS \(phase AWAITING_ACK/);
    expect(result.stdout).toMatch(/DeliverCertificate\s+\S+\s+-\s+running/);
  });

  it('tells an unknown thing from a thing that never rotated (exit 4)', async () => {
    const unknown = await h().run(['rotations', 'show', 'no-such-thing']);
    const never = await h().run(['rotations', 'show', 'never-rotated']);
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.stderr).toContain('there is no thing named no-such-thing');
    expect(never.code).toBe(EXIT.notFound);
    expect(never.stderr).toContain('never-rotated has no rotation record');
    expect(never.stderr).toContain('recert rotate never-rotated');
  });
});

describe('recert report', () => {
  it('reports a campaign that is not an audit task from its records, as CSV', async () => {
    // Act
    const result = await h().run(['report', '--campaign', 'manual', '--format', 'csv']);
    // Assess
    expect(result.code).toBe(EXIT.ok);
    const [header, ...rows] = result.stdout.split('\n');
    expect(header).toBe(
      'thing,certificate,checks,state,rotation_status,certificate_status,still_expiring,reason',
    );
    const states = Object.fromEntries(rows.map((row) => [row.split(',')[0], row.split(',')[3]]));
    expect(states).toEqual({ 'bad-1': 'FAILED', 'ok-1': 'ROTATED', 'slow-1': 'PENDING' });
  });
});

describe('the AWS target', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds its resources in the stack outputs and uses the default credential chain', async () => {
    // Prepare: a deployed stack whose outputs name the local resources; endpoints from the
    // SDK's standard AWS_ENDPOINT_URL_* variables, credentials from the environment.
    const { resources, endpoints } = h().manifest;
    const cfn = await startCloudFormationDouble({
      name: 'RecertTest',
      outputs: {
        StateMachineArn: resources.stateMachineArn,
        RotationTableName: resources.rotationTableName,
        EscalationTopicArn: resources.escalationTopicArn,
        AuditTopicArn: resources.auditTopicArn,
        Region: resources.region,
      },
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cfn.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_SFN', endpoints.stepFunctions);
    vi.stubEnv('AWS_ENDPOINT_URL_IOT', endpoints.iot);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', endpoints.dynamodb);
    try {
      // Act
      const status = await runIn(
        ['status', '--stack', 'RecertTest', '--region', 'us-east-1', '--json'],
        {},
        h().stateDir,
      );
      const missing = await runIn(
        ['status', '--region', 'us-east-1'],
        { RECERT_STACK: 'Gone' },
        h().stateDir,
      );
      // Assess
      expect(status.code).toBe(EXIT.ok);
      expect(JSON.parse(status.stdout).counts).toMatchObject({ FAILED: 2, SUCCEEDED: 1 });
      expect(missing.code).toBe(EXIT.unavailable);
      expect(missing.stderr).toContain('stack Gone does not exist in this account and region');
      expect(cfn.requests).toEqual(['DescribeStacks RecertTest', 'DescribeStacks Gone']);
    } finally {
      await cfn.close();
    }
  });
});
