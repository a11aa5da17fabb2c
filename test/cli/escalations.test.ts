import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { honestBehaviour } from '../../device/agent/behaviour.ts';
import { eventually } from '../e2e/helpers.ts';
import { recordWithStatus, scenarioPerTest, startSilentDevice } from '../e2e/scenario.ts';
import { startCloudFormationDouble } from './helpers/cloudformation-double.ts';
import { type CliRun, runIn } from './helpers/local-aws.ts';

const Listed = z.object({
  topicArn: z.string(),
  count: z.number(),
  escalations: z.array(
    z.object({
      at: z.string(),
      thingName: z.string(),
      status: z.string(),
      rotationId: z.string().optional(),
      reason: z.string(),
      executionArn: z.string(),
      nextStep: z.string(),
    }),
  ),
});

describe('recert escalations on the local AWS', () => {
  const startScenario = scenarioPerTest();

  it('lists the rotation that failed and was escalated, with its next step, which follows the redrive', async () => {
    // Prepare: a device that goes silent after its CSR, under short waits, so its rotation fails.
    const { scenario, device } = await startSilentDevice(startScenario, 'esc');
    const run = (argv: string[]): Promise<CliRun> =>
      runIn(argv, { RECERT_LOCAL: '1', RECERT_STATE_DIR: scenario.env.dir }, scenario.env.dir);
    const none = await run(['escalations']);
    expect((await run(['rotate', device.thingName])).code).toBe(EXIT.ok);
    const failed = await recordWithStatus(scenario.local, device.thingName, ['FAILED', 'SUCCEEDED']);
    expect(failed.status).toBe('FAILED');

    // Act
    const listed = await eventually('the escalation listed', async () => {
      const result = await run(['escalations', '--json']);
      const parsed = Listed.parse(JSON.parse(result.stdout));
      return parsed.count > 0 ? parsed : undefined;
    });
    const table = await run(['escalations']);
    const text = await run(['escalations', '--output', 'text']);

    // Assess: one escalation naming the thing, its rotation, why, and how to resume it.
    expect(none.code).toBe(EXIT.ok);
    expect(none.stdout).toContain('No escalations');
    expect(listed.topicArn).toBe(scenario.local.resources.escalationTopicArn);
    expect(listed.escalations).toHaveLength(1);
    const [escalation] = listed.escalations;
    expect(escalation).toMatchObject({
      thingName: device.thingName,
      status: 'FAILED',
      rotationId: failed.rotationId,
      executionArn: failed.executionArn,
    });
    expect(escalation?.reason).not.toBe('');
    expect(escalation?.nextStep).toContain(`recert redrive ${device.thingName}`);
    expect(table.code).toBe(EXIT.ok);
    expect(table.stdout).toMatch(new RegExp(`${device.thingName}\\s+FAILED`));
    expect(table.stdout).toContain(`recert redrive ${device.thingName}`);
    const fields = text.stdout.split('\n')[0]?.split('\t');
    expect(fields?.slice(0, 7)).toEqual([
      'ESCALATION',
      escalation?.at,
      device.thingName,
      'FAILED',
      expect.any(String),
      failed.rotationId,
      failed.executionArn,
    ]);

    // Act 2: the device answers again and the operator redrives, as the next step said.
    device.setBehaviour(honestBehaviour);
    expect((await run(['redrive', device.thingName])).code).toBe(EXIT.ok);
    await recordWithStatus(scenario.local, device.thingName, ['SUCCEEDED']);
    const after = Listed.parse(JSON.parse((await run(['escalations', '--json'])).stdout));

    // Assess 2: the escalation stays listed; its next step now says nothing is left to do.
    expect(after.escalations).toHaveLength(1);
    expect(after.escalations[0]?.nextStep).toMatch(/^nothing/);
  });
});

describe('recert escalations on AWS', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the escalation topic its subscribers get them from, and exits 2', async () => {
    // Prepare: a deployed stack (its outputs only: the command reads nothing else on AWS).
    const topic = 'arn:aws:sns:eu-west-1:123456789012:Recert-Escalations';
    const cfn = await startCloudFormationDouble({
      name: 'Recert',
      outputs: {
        StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert',
        RotationTableName: 'recert-rotations',
        EscalationTopicArn: topic,
        AuditTopicArn: 'arn:aws:sns:eu-west-1:123456789012:Recert-Audit',
        Region: 'eu-west-1',
      },
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cfn.endpoint);
    try {
      // Act
      const result = await runIn(['escalations', '--region', 'eu-west-1'], {}, process.cwd());
      // Assess
      expect(result.code).toBe(EXIT.usage);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`subscribers of the SNS topic ${topic}`);
      expect(result.stderr).toContain('recert rotations list --status FAILED,TIMED_OUT,ABORTED');
    } finally {
      await cfn.close();
    }
  });
});
