import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import type { CliIo } from '../../../cli/io.ts';
import { runCli } from '../../../cli/main.ts';
import { type Clock, ScaledClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';
import { auditRoutes } from '../../../local/iot/audit/audit-routes.ts';
import { DeviceDefenderAudit } from '../../../local/iot/audit/device-defender.ts';
import { LocalIotCore } from '../../../local/iot/iot-core.ts';
import type { ProvisionedDevice, ProvisionOptions } from '../../../local/iot/provision.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';
import { rotationTableDefinition } from '../../../local/stack/resources.ts';
import { type LocalAwsManifest, MANIFEST_FILE } from '../../../local/stack/types.ts';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions/index.ts';
import { CAMPAIGN_TABLE } from '../../../workflows/campaign/table.ts';
import { DEVICE_POLICY_NAME } from '../../../workflows/rotate-device/device-policy.ts';
import { startServedEvents } from '../../local/events/served-events.ts';
import { registerCampaignStandIn } from './campaign-stand-in.ts';
import { type Behaviour, registerStandIn } from './workflow-stand-in.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The local AWS for CLI tests, assembled from the real local services on 127.0.0.1 (Step Functions
 * engine server, IoT Core with Device Defender audit, DynamoDB, SNS/EventBridge) with a manifest in
 * a temporary state directory, exactly where `recert --local` looks for it.
 */
export interface CliHarness {
  readonly stateDir: string;
  readonly manifest: LocalAwsManifest;
  readonly clock: Clock;
  readonly iotCore: LocalIotCore;
  readonly audit: DeviceDefenderAudit;
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The campaign table and the stand-in campaign state machine (see campaign-stand-in.ts). */
  readonly campaignTableName: string;
  readonly campaignStateMachineArn: string;
  /** How the stand-in workflow behaves for each thing (default `succeed`). */
  readonly plan: Map<string, Behaviour>;
  /** Runs `recert <argv>` in-process against this local AWS. */
  run(
    argv: string[],
    env?: Record<string, string>,
    options?: { stderrIsTTY?: boolean; stdoutIsTTY?: boolean },
  ): Promise<CliRun>;
  provision(thingName: string, options?: Omit<ProvisionOptions, 'thingName'>): Promise<ProvisionedDevice>;
  /** Polls until the execution leaves RUNNING (or reaches `status`). */
  waitForExecution(executionArn: string, status?: string): Promise<string>;
  close(): Promise<void>;
}

export async function runIn(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  options: { stderrIsTTY?: boolean; stdoutIsTTY?: boolean } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    env,
    cwd,
    stderrIsTTY: options.stderrIsTTY === true,
    stdoutIsTTY: options.stdoutIsTTY === true,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The io of a `recert local up` run in `cwd`: its stdout lines go to `out`, and it stops once it printed its manifest. */
export function untilManifestIo(out: string[], cwd: string): CliIo {
  const controller = new AbortController();
  return {
    stdout: (line) => {
      out.push(line);
      if (line.startsWith('Manifest')) controller.abort();
    },
    stderr: () => {},
    env: {},
    cwd,
    signal: controller.signal,
  };
}

/** Starts a CLI harness before the suite's tests and closes it after them; the getter gives it once started. */
export function useCliHarness(options: { clock?: Clock } = {}): () => CliHarness {
  let harness: CliHarness | undefined;
  beforeAll(async () => {
    harness = await startCliHarness(options);
  });
  afterAll(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error('the CLI harness has not started');
    return harness;
  };
}

/** `clock`: the services' clock (a ManualClock lets a test age executions); wall time by default. */
export async function startCliHarness(options: { clock?: Clock } = {}): Promise<CliHarness> {
  const stateDir = await mkdtemp(join(tmpdir(), 'recert-cli-'));
  const clock = options.clock ?? new ScaledClock(1);
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const dynamo = new LocalDynamoDb({ stateDir });
  const dynamoUrl = await dynamo.start();
  const tableName = 'recert-rotations';
  await dynamo.ensureTable(rotationTableDefinition(tableName));
  const campaignTableName = 'recert-campaigns';
  await dynamo.ensureTable({
    tableName: campaignTableName,
    partitionKey: CAMPAIGN_TABLE.partitionKey,
    sortKey: CAMPAIGN_TABLE.sortKey,
  });
  const rawDb = dynamo.client();
  const db = DynamoDBDocumentClient.from(rawDb, { marshallOptions: { removeUndefinedValues: true } });

  const iotCore = new LocalIotCore({ stateDir, clock });
  const audit = new DeviceDefenderAudit({
    certificates: iotCore.registry,
    clock,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    stateDir,
  });
  await audit.start();
  iotCore.addRoutes(auditRoutes(audit));
  const iotEndpoints = await iotCore.start({ httpPort: 0, mqttPort: 0 });
  const client = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
  const iot = new IoTClient({ ...client, endpoint: iotEndpoints.http });

  const stepFunctions: LocalStepFunctions = await startLocalStepFunctions({
    stateDir,
    clock,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    functions,
  });
  const sfn = new SFNClient({ ...client, endpoint: stepFunctions.endpoint });

  const events = await startServedEvents({ functions, clock });
  const eventsUrl = events.endpoint;

  const plan = new Map<string, Behaviour>();
  const definition = registerStandIn({
    functions,
    engine: stepFunctions.engine,
    db,
    iot,
    sfn,
    tableName,
    plan,
  });
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'recert-rotate-device',
      definition: JSON.stringify(definition),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-local`,
    }),
  );

  const campaignMachine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'recert-campaign',
      definition: JSON.stringify(registerCampaignStandIn({ functions, db, tableName: campaignTableName })),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-local`,
    }),
  );
  const campaignStateMachineArn = campaignMachine.stateMachineArn ?? '';
  // Spread, so the manifest keeps compiling whether or not LocalResources lists them yet.
  const campaignResources = { campaignTableName, campaignStateMachineArn };
  const manifest: LocalAwsManifest = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    clockSpeed: 1,
    endpoints: {
      stepFunctions: stepFunctions.endpoint,
      iot: iotEndpoints.http,
      iotData: iotEndpoints.http,
      dynamodb: dynamoUrl,
      sns: eventsUrl,
      eventBridge: eventsUrl,
      mqtt: { host: iotEndpoints.mqttHost, port: iotEndpoints.mqttPort },
      rootCaPath: iotCore.rootCaPath,
    },
    resources: {
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      stateMachineArn: machine.stateMachineArn ?? '',
      rotationTableName: tableName,
      escalationTopicArn: `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:recert-escalations`,
      auditTopicArn: `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:recert-audit`,
      devicePolicyName: DEVICE_POLICY_NAME,
      ...campaignResources,
    },
  };
  await writeFile(join(stateDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));

  return {
    stateDir,
    manifest,
    clock,
    iotCore,
    audit,
    iot,
    sfn,
    db,
    tableName,
    campaignTableName,
    campaignStateMachineArn,
    plan,
    run: (argv, env = {}, options = {}) =>
      runIn(argv, { RECERT_LOCAL: '1', RECERT_STATE_DIR: stateDir, ...env }, stateDir, options),
    provision: (thingName, options = {}) => iotCore.provisionDevice({ thingName, ...options }),
    async waitForExecution(executionArn, status) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        const current = out.status ?? '';
        if (status === undefined ? current !== 'RUNNING' : current === status) return current;
        if (Date.now() > deadline)
          throw new Error(`${executionArn} is still ${current}, expected ${status ?? 'to end'}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      iot.destroy();
      sfn.destroy();
      db.destroy();
      rawDb.destroy();
      await stepFunctions.close();
      await events.close();
      await audit.close();
      await iotCore.close();
      await dynamo.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
