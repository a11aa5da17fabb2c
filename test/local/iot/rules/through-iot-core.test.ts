import {
  CreateTopicRuleCommand,
  ListAuditFindingsCommand,
  StartOnDemandAuditTaskCommand,
  UpdateAccountAuditConfigurationCommand,
} from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditRoutes } from '../../../../local/iot/audit/audit-routes.ts';
import { DeviceDefenderAudit } from '../../../../local/iot/audit/device-defender.ts';
import { topicRuleRoutes } from '../../../../local/iot/rules/rule-routes.ts';
import { RulesEngine } from '../../../../local/iot/rules/rules-engine.ts';
import { FunctionRegistry } from '../../../../local/lambda/registry.ts';
import { allowTopicRule } from '../../lambda/allow-invoke.ts';
import { startCore, type TestCore } from '../helpers/core.ts';
import { connectDevice, end } from '../helpers/mqtt.ts';

const DAY = 86_400_000;
const REPLY_SQL =
  "SELECT *, clientid() AS clientId, principal() AS principal, topic(4) AS kind FROM 'management/topic/+/+' " +
  "WHERE topic(4) = 'csr_res' OR topic(4) = 'crt_ack' OR topic(4) = 'crt_err'";

describe('rules engine and audit inside the local IoT Core', () => {
  let t: TestCore;
  let engine: RulesEngine;
  let audit: DeviceDefenderAudit;
  let functions: FunctionRegistry;
  let clients: MqttClient[];

  beforeEach(async () => {
    t = await startCore();
    functions = new FunctionRegistry(t.core.partition.region, t.core.partition.accountId);
    engine = new RulesEngine({
      bus: t.core.bus,
      functions,
      clock: t.clock,
      ...t.core.partition,
      stateDir: t.stateDir,
    });
    await engine.start();
    audit = new DeviceDefenderAudit({
      certificates: t.core.registry,
      clock: t.clock,
      ...t.core.partition,
      stateDir: t.stateDir,
    });
    await audit.start();
    t.core.addRoutes([...topicRuleRoutes(engine), ...auditRoutes(audit)]);
    clients = [];
  });

  afterEach(async () => {
    await end(...clients);
    await engine.close();
    await audit.close();
    await t.close();
  });

  it('delivers a csr_res published by a device over MQTT to the handler with clientId and principal', async () => {
    // Prepare
    const received: unknown[] = [];
    let arrived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const fn = functions.register('device-reply', async (event) => {
      received.push(event);
      arrived();
    });
    allowTopicRule(functions, fn.arn, 'recert_device_replies');
    await t.iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'recert_device_replies',
        topicRulePayload: {
          sql: REPLY_SQL,
          awsIotSqlVersion: '2016-03-23',
          actions: [{ lambda: { functionArn: fn.arn } }],
        },
      }),
    );
    const device = await t.core.provisionDevice({ thingName: 'thing-1' });
    const client = await connectDevice(t.core, device, { clientId: 'thing-1' });
    clients.push(client);
    // Act
    await client.publishAsync(
      'management/topic/thing-1/csr_res',
      JSON.stringify({ rotationId: 'r1', CSR: 'pem' }),
      {
        qos: 1,
      },
    );
    await done;
    // Assess
    expect(received).toEqual([
      { rotationId: 'r1', CSR: 'pem', clientId: 'thing-1', principal: device.certificateId, kind: 'csr_res' },
    ]);
  });

  it('audits the registry certificates and finds the one expiring within the threshold', async () => {
    // Prepare
    await t.core.provisionDevice({ thingName: 'long-lived' });
    const soon = await t.core.provisionDevice({ thingName: 'expiring', validity: { durationMs: 10 * DAY } });
    await t.iot.send(
      new UpdateAccountAuditConfigurationCommand({
        roleArn: 'arn:aws:iam::000000000000:role/audit',
        auditCheckConfigurations: { DEVICE_CERTIFICATE_EXPIRING_CHECK: { enabled: true } },
      }),
    );
    // Act
    const { taskId } = await t.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
    );
    await audit.idle();
    const { findings } = await t.iot.send(new ListAuditFindingsCommand({ taskId }));
    // Assess
    expect(findings?.map((f) => f.nonCompliantResource?.resourceIdentifier?.deviceCertificateId)).toEqual([
      soon.certificateId,
    ]);
  });
});
