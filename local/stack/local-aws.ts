// First: keeps the X-Ray SDK from hooking every promise of this process (see the module).
import '../lambda/xray-manual-mode.ts';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Clock, ScaledClock } from '../../lib/clock.ts';
import { LocalAcmPcaServer } from '../acmpca/acmpca-server.ts';
import { LocalPrivateCa } from '../acmpca/private-ca.ts';
import { DEFAULT_PORTS, LOCAL_ACCOUNT_ID, LOCAL_HOST, LOCAL_REGION } from '../config.ts';
import { LocalDynamoDb } from '../dynamodb/local-dynamodb.ts';
import { LocalEvents } from '../events/local-events.ts';
import { auditRoutes } from '../iot/audit/audit-routes.ts';
import { DeviceDefenderAudit } from '../iot/audit/device-defender.ts';
import { LocalIotCore } from '../iot/iot-core.ts';
import { topicRuleRoutes } from '../iot/rules/rule-routes.ts';
import { RulesEngine } from '../iot/rules/rules-engine.ts';
import { FunctionLogFile } from '../lambda/function-log-file.ts';
import { FunctionRegistry } from '../lambda/registry.ts';
import { StepFunctionsEngine, StepFunctionsServer } from '../stepfunctions/index.ts';
import type { Integrations } from '../stepfunctions/integrations.ts';
import { LocalAccess } from './access.ts';
import { destroyClients, type LocalClients, localClients } from './clients.ts';
import { registerFunctions } from './function-wiring.ts';
import { createLocalIdentities, type LocalIdentities, localResourceArns } from './identities.ts';
import { claimStateDir, type StateDirClaim } from './manifest.ts';
import type { LocalAwsOptions, LocalPorts } from './options.ts';
import {
  addInvokePermissions,
  LOCAL_RESOURCE_NAMES,
  provisionResources,
  stateMachineArnOf,
} from './resources.ts';
import { AuditNotificationRefusedError, publishAllowed, roleIntegrations } from './role-calls.ts';
import { type LocalSchedules, startSchedules } from './schedules.ts';
import { startFunctionWorkers } from './start-workers.ts';
import type { LocalAwsManifest, LocalCampaignResources, LocalEndpoints, LocalResources } from './types.ts';
import { type FunctionConfig, functionDeps } from './worker-functions.ts';

export type { LocalAwsOptions, LocalPorts } from './options.ts';

/**
 * The whole local AWS in this process, on loopback: Step Functions, IoT Core, DynamoDB, SNS and EventBridge,
 * recert's functions running against them, and the stack's resources made from the same contract.
 */
export class LocalAws {
  private constructor(
    readonly stateDir: string,
    readonly clock: Clock,
    readonly functions: FunctionRegistry,
    readonly dynamodb: LocalDynamoDb,
    readonly iot: LocalIotCore,
    readonly rules: RulesEngine,
    readonly audit: DeviceDefenderAudit,
    readonly events: LocalEvents,
    readonly stepFunctions: StepFunctionsEngine,
    readonly clients: LocalClients,
    readonly endpoints: LocalEndpoints,
    readonly resources: LocalResources & LocalCampaignResources,
    readonly manifest: LocalAwsManifest,
    private readonly closers: readonly (() => Promise<void>)[],
    private readonly claim: StateDirClaim,
    private readonly schedules: LocalSchedules,
    /** The local ACM Private CA, when `privateCa` was asked for. */
    readonly privateCa: LocalPrivateCa | undefined,
    /** Every caller's role and credentials (tests change a role's policies here). */
    readonly identities: LocalIdentities,
  ) {}

  static async start(options: LocalAwsOptions): Promise<LocalAws> {
    const stateDir = resolve(options.stateDir);
    await mkdir(stateDir, { recursive: true });
    const claim = await claimStateDir(stateDir);
    const stack = new Set<() => Promise<void>>();
    const closeAll = async (): Promise<void> => {
      for (const close of [...stack].reverse()) await close().catch(() => undefined);
    };
    try {
      return await LocalAws.assemble(options, stateDir, claim, stack);
    } catch (error) {
      await closeAll();
      await claim.release();
      throw error;
    }
  }

  private static async assemble(
    options: LocalAwsOptions,
    stateDir: string,
    claim: StateDirClaim,
    stack: Set<() => Promise<void>>,
  ): Promise<LocalAws> {
    const region = LOCAL_REGION;
    const accountId = LOCAL_ACCOUNT_ID;
    const clockSpeed = options.clockSpeed ?? 1;
    const clock = options.clock ?? new ScaledClock(clockSpeed);
    const ports: LocalPorts = { ...DEFAULT_PORTS, ...options.ports };
    const log = options.log ?? (() => undefined);
    const functions = new FunctionRegistry(region, accountId);
    // Closed last (the stack closes in reverse), so it keeps every line written until the end.
    const functionLogs =
      options.functionLogFile && (await FunctionLogFile.open(stateDir, options.functionLogFile, log));
    if (functionLogs) stack.add(() => functionLogs.close());

    // The private CA first: its ARN is in the issue function's policy.
    const privateCa = options.privateCa
      ? await LocalPrivateCa.openOrCreate(join(stateDir, 'acm-pca'), clock, {
          region,
          accountId,
          ...(options.privateCa.pollsBeforeReady !== undefined
            ? { pollsBeforeReady: options.privateCa.pollsBeforeReady }
            : {}),
        })
      : undefined;
    // Every caller's role, with the statements the CDK stack deploys; every server checks them.
    const identities = createLocalIdentities(
      localResourceArns(region, accountId, functions, privateCa?.arn),
      privateCa ? 'acm-pca' : 'aws-iot',
    );
    const access = new LocalAccess(identities.store, region, {
      rotationTable: LOCAL_RESOURCE_NAMES.table,
      campaignTable: LOCAL_RESOURCE_NAMES.campaignTable,
    });

    const dynamodb = new LocalDynamoDb({
      stateDir,
      port: ports.dynamodb,
      accessCheck: access.check('dynamodb'),
    });
    const dynamodbUrl = await dynamodb.start();
    stack.add(() => dynamodb.close());

    const events = new LocalEvents({
      functions,
      clock,
      region,
      accountId,
      stateDir,
      port: ports.events,
      snsAccessCheck: access.check('sns'),
      eventsAccessCheck: access.check('events'),
      ...(options.asyncRetryDelaysMs ? { retryDelaysMs: options.asyncRetryDelaysMs } : {}),
    });
    const eventsUrl = await events.start();
    stack.add(() => events.close());

    const iot = new LocalIotCore({
      stateDir,
      clock,
      region,
      accountId,
      ...(options.quotas !== undefined ? { quotas: options.quotas } : {}),
      ...(options.issuedCertificateValidity
        ? { issuedCertificateValidity: options.issuedCertificateValidity }
        : {}),
      accessCheck: access.check('iot'),
      onDenied: (event) => log(`iot: refused ${event.clientId}: ${event.reason}`),
      onInternalError: (error, operation) =>
        log(`iot: ${operation} failed inside the emulator: ${String(error)}`),
    });
    const rules = new RulesEngine({
      bus: iot.bus,
      functions,
      clock,
      region,
      accountId,
      stateDir,
      invoker: events.invoker,
      onEvent: (event) => {
        if (event.type !== 'action-failed') return;
        log(`rules: an action of ${event.ruleName} failed: ${JSON.stringify(event.failure)}`);
      },
    });
    iot.addRoutes(topicRuleRoutes(rules));
    const audit = new DeviceDefenderAudit({
      certificates: iot.registry,
      clock,
      region,
      accountId,
      stateDir,
      // Device Defender publishes with the notification role the configuration names.
      notify: (targetArn, message, roleArn) => {
        const refusal = publishAllowed(identities, targetArn, roleArn);
        if (refusal) throw new AuditNotificationRefusedError(refusal);
        events.sns.publish({ topicArn: targetArn, message });
      },
      onEvent: (event) => {
        if (event.type === 'notification-failed')
          log(`audit: notification of ${event.taskId} failed: ${event.message}`);
      },
    });
    iot.addRoutes(auditRoutes(audit));
    const iotEndpoints = await iot.start({ httpPort: ports.iot, mqttPort: ports.mqtt, host: LOCAL_HOST });
    stack.add(() => iot.close());
    await rules.start();
    stack.add(() => rules.close());
    await audit.start();
    stack.add(() => audit.close());

    // The engine resumes running executions when it opens, and those call the functions: the API
    // server listens first (the functions need its endpoint), the functions are registered, then it opens.
    // The engine's own clients for its optimised integrations, as Step Functions calls the services itself.
    // Each state machine's integrations sign with its role, and invoke functions as that role.
    const integrationsByRole = new Map<string, Integrations>();
    stack.add(async () => {
      for (const integrations of integrationsByRole.values()) {
        for (const client of [integrations.dynamodb, integrations.sns, integrations.eventbridge]) {
          (client as { destroy?: () => void } | undefined)?.destroy?.();
        }
      }
    });
    const integrationsForRole = (roleArn: string): Integrations => {
      let integrations = integrationsByRole.get(roleArn);
      if (!integrations) {
        integrations = roleIntegrations(identities, roleArn, region, dynamodbUrl, eventsUrl);
        integrationsByRole.set(roleArn, integrations);
      }
      return integrations;
    };
    const stepFunctions = new StepFunctionsEngine({
      stateDir,
      clock,
      region,
      accountId,
      functions,
      integrationsForRole,
    });
    const sfnServer = new StepFunctionsServer(stepFunctions, { accessCheck: access.check('states') });
    const sfnPort = await sfnServer.start({ port: ports.stepFunctions, host: LOCAL_HOST });
    stack.add(() => sfnServer.close());

    let acmPcaUrl: string | undefined;
    if (privateCa) {
      const pcaServer = new LocalAcmPcaServer(privateCa, { accessCheck: access.check('acm-pca') });
      acmPcaUrl = await pcaServer.start();
      stack.add(() => pcaServer.close());
    }
    const endpoints: LocalEndpoints = {
      ...(acmPcaUrl ? { acmPca: acmPcaUrl } : {}),
      stepFunctions: `http://${LOCAL_HOST}:${sfnPort}`,
      iot: iotEndpoints.http,
      iotData: iotEndpoints.http,
      dynamodb: dynamodbUrl,
      sns: eventsUrl,
      eventBridge: eventsUrl,
      mqtt: { host: iotEndpoints.mqttHost, port: iotEndpoints.mqttPort },
      rootCaPath: iot.rootCaPath,
    };
    const clients = localClients(endpoints, region);
    stack.add(async () => destroyClients(clients));

    const stateMachineArn = stateMachineArnOf(region, accountId);
    const escalationTopicArn = events.sns.topicArn(LOCAL_RESOURCE_NAMES.escalationTopic);
    // Plain data, so that function workers can build the very same functions in their threads.
    const functionConfig: FunctionConfig = {
      tableName: LOCAL_RESOURCE_NAMES.table,
      campaignTableName: LOCAL_RESOURCE_NAMES.campaignTable,
      campaignStateMachineArn: stateMachineArnOf(
        region,
        accountId,
        LOCAL_RESOURCE_NAMES.campaignStateMachine,
      ),
      ...(options.pacerTickSeconds !== undefined ? { pacerTickSeconds: options.pacerTickSeconds } : {}),
      // While it waits, the pacer looks at META again at most every 100 ms of wall time.
      pacerPollMs: Math.max(1000, 100 * clockSpeed),
      stateMachineArn,
      escalationTopicArn,
      region,
      accountId,
      logLevel: options.functionLogLevel ?? 'SILENT',
      ...options.functionSettings,
      ...(privateCa && options.privateCa
        ? {
            privateCaSettings: {
              certificateAuthorityArn: privateCa.arn,
              validityDays: options.privateCa.validityDays,
            },
          }
        : {}),
    };
    // Each function signs with its own role's credentials, as Lambda gives each function its role.
    const functionArns = registerFunctions(functions, (id) => {
      const own = localClients(endpoints, region, identities.functionCredentials[id]);
      stack.add(async () => destroyClients(own));
      return functionDeps(functionConfig, own, clock);
    });
    functionLogs?.captureAll(functions);
    // Lambda keeps no resource-based policies across a restart here: the services' permissions go back
    // before the engine resumes executions and the stored rules can invoke anything.
    addInvokePermissions(functions, { region, accountId, functionArns });
    if (options.functionWorkers) {
      const workers = await startFunctionWorkers(
        options.functionWorkers,
        clock,
        { endpoints, region, accountId, config: functionConfig, credentials: identities.functionCredentials },
        options.functionWorkersCpuProfileDir,
        functionLogs?.append,
      );
      // Closed before the services (the stack closes in reverse): what still runs fails, as it
      // would when Lambda stops, instead of landing on services that are going away.
      stack.add(() => workers.close());
      for (const fn of functions.list()) {
        if (workers.has(fn.name)) functions.register(fn.name, workers.handler(fn.name), fn.timeoutSeconds);
      }
    }
    // First of all at close: no new invocations, and the running ones told their time is up, so a
    // function that works in turns (the campaign's) ends its turn before the services go.
    stack.add(() => functions.drain(5_000));

    await stepFunctions.open();
    stack.add(() => stepFunctions.close());
    // Execution status changes go to EventBridge as on AWS, where a rule routes them to the recorder.
    stepFunctions.onStatusChange((event) => events.eventBridge.emit(event));

    const provisioned = await provisionResources({
      region,
      accountId,
      clients,
      dynamodb,
      functions,
      functionArns,
      settings: options.settings ?? {},
      ...(options.campaignSettings ? { campaignSettings: options.campaignSettings } : {}),
      audit: {
        expiringThresholdDays: options.audit?.expiringThresholdDays ?? 30,
        ...(options.audit?.ageThresholdDays !== undefined
          ? { ageThresholdDays: options.audit.ageThresholdDays }
          : {}),
      },
    });

    // Lambda's asynchronous queue, as the last stop left it, is delivered once everything it calls is up.
    const resumed = await events.invoker.resume();
    if (resumed > 0) log(`lambda: ${resumed} queued asynchronous invocation(s) resumed`);

    // The scheduled functions (the retired-certificate sweeper) on the local clock, as EventBridge
    // schedules run them on AWS; closed before the functions and services they call.
    // The sweeper only has work when certificates are kept for a grace period, so a local AWS without
    // one does not run it.
    const graceDays = options.functionSettings?.graceDays ?? 0;
    const schedules = startSchedules(clock, functions, log, {
      enabled: (id) => id !== 'retired-certificate-sweeper' || graceDays > 0,
      ...(options.scheduleWallGapMs !== undefined ? { minWallGapMs: options.scheduleWallGapMs } : {}),
    });
    stack.add(() => schedules.close());
    // The very first step of a close: devices' messages are no longer acknowledged, so none is lost
    // in the services that close after; the devices resend them to the restarted broker.
    stack.add(() => iot.stopIntake());

    const resources: LocalResources & LocalCampaignResources = {
      region,
      accountId,
      stateMachineArn: provisioned.stateMachineArn,
      rotationTableName: LOCAL_RESOURCE_NAMES.table,
      campaignStateMachineArn: provisioned.campaignStateMachineArn,
      campaignTableName: LOCAL_RESOURCE_NAMES.campaignTable,
      escalationTopicArn: provisioned.escalationTopicArn,
      auditTopicArn: provisioned.auditTopicArn,
      devicePolicyName: LOCAL_RESOURCE_NAMES.devicePolicy,
    };
    const manifest: LocalAwsManifest = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      clockSpeed,
      endpoints,
      resources,
      operatorCredentials: identities.operatorCredentials,
    };
    await claim.publish(manifest);
    return new LocalAws(
      stateDir,
      clock,
      functions,
      dynamodb,
      iot,
      rules,
      audit,
      events,
      stepFunctions,
      clients,
      endpoints,
      resources,
      manifest,
      [...stack],
      claim,
      schedules,
      privateCa,
      identities,
    );
  }

  /** Resolves when no asynchronous delivery (rules, SNS, EventBridge), audit task or scheduled run is under way. */
  async idle(): Promise<void> {
    await this.audit.idle();
    await this.events.idle();
    await this.schedules.idle();
  }

  /** Stops every service, last started first (state stays in the state directory), and removes the manifest. */
  async close(): Promise<void> {
    for (const close of [...this.closers].reverse()) await close();
    await this.claim.release();
  }
}
