import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FUNCTION_IDS,
  FUNCTIONS,
  PLACEHOLDERS,
  readDefinitionTemplate,
  TOPIC_RULES,
} from '../../workflows/rotate-device/contract.ts';

const ROOT = new URL('../../', import.meta.url);
const Definition = z.object({
  States: z.record(
    z.string(),
    z.object({ Resource: z.string().optional(), Arguments: z.unknown().optional() }),
  ),
});

describe('rotate-device contract', () => {
  it.each(FUNCTION_IDS)('%s has an entry that exports handler and createHandler', async (id) => {
    // Prepare
    const spec = FUNCTIONS[id];
    const path = new URL(spec.entry, ROOT);
    expect(existsSync(path)).toBe(true);
    // Act: importing must not need AWS configuration (handlers are built on first use)
    const module: Record<string, unknown> = await import(path.href);
    // Assess
    expect(typeof module[spec.handlerExport]).toBe('function');
    expect(typeof module[spec.factoryExport]).toBe('function');
    expect(spec.permissions.length).toBeGreaterThan(0);
  });

  it('names, for every task function, the state that invokes it through its placeholder', () => {
    const definition = Definition.parse(JSON.parse(readDefinitionTemplate()));
    for (const [placeholder, binding] of Object.entries(PLACEHOLDERS)) {
      if (binding.kind !== 'function') continue;
      const trigger = FUNCTIONS[binding.functionId].trigger;
      expect(trigger.kind).toBe('state-machine-task');
      if (trigger.kind !== 'state-machine-task') continue;
      const state = definition.States[trigger.state];
      expect(JSON.stringify(state?.Arguments)).toContain(`\${${placeholder}}`);
      expect(state?.Resource?.endsWith('.waitForTaskToken')).toBe(trigger.waitForTaskToken);
    }
  });

  it('keeps the IoT rule SQL to the subset the local rules engine implements', () => {
    const allowedFunctions = new Set(['clientid', 'principal', 'topic', 'timestamp', 'newuuid']);
    for (const rule of TOPIC_RULES) {
      expect(rule.name).toMatch(/^[a-zA-Z0-9_]+$/);
      expect(FUNCTION_IDS).toContain(rule.targetFunctionId);
      expect(rule.sql).toMatch(/^SELECT .+ FROM '[^']+'( WHERE .+)?$/);
      for (const [, fn] of rule.sql.matchAll(/([a-z_]+)\(/gi))
        expect(allowedFunctions).toContain(fn?.toLowerCase());
      expect(FUNCTIONS[rule.targetFunctionId].trigger).toEqual({ kind: 'iot-rule', rule: rule.name });
    }
  });
});

describe('createRotationFunctions', () => {
  it('builds one handler per function id of the contract', async () => {
    const { createRotationFunctions } = await import('../../functions/index.ts');
    const { IoTClient } = await import('@aws-sdk/client-iot');
    const { IoTDataPlaneClient } = await import('@aws-sdk/client-iot-data-plane');
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    const { SNSClient } = await import('@aws-sdk/client-sns');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const region = 'us-east-1';
    const handlers = createRotationFunctions({
      db: new DynamoDBClient({ region }),
      tableName: 't',
      iot: new IoTClient({ region }),
      iotData: new IoTDataPlaneClient({ region }),
      sfn: new SFNClient({ region }),
      sns: new SNSClient({ region }),
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device',
      escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:recert-escalations',
      region,
    });
    expect(Object.keys(handlers).sort()).toEqual([...FUNCTION_IDS].sort());
  });
});
