/**
 * Shared pieces of the least-privilege tests: one local AWS per file, a role's grant taken away and
 * given back around one case, fresh devices per case, and what each kind of failure looks like from
 * outside (an execution's failed state, a rule's failed action, a failed SNS or EventBridge delivery).
 */
import { readFile } from 'node:fs/promises';
import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
  ListExecutionsCommand,
  paginateGetExecutionHistory,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { BehaviourName } from '../../../device/fleet/behaviours.ts';
import { FleetSimulator } from '../../../device/fleet/fleet-simulator.ts';
import { LocalIotProvisioner } from '../../../device/fleet/local-iot-provisioner.ts';
import type { SimulatedDevice } from '../../../device/fleet/simulated-device.ts';
import type { AsyncInvokeOutcome } from '../../../local/events/async-invoke.ts';
import type { PolicyDocument, PolicyStatement } from '../../../local/iam/types.ts';
import { functionName, type LocalFunctionArns } from '../../../local/stack/function-wiring.ts';
import type { LocalAws, LocalAwsOptions } from '../../../local/stack/local-aws.ts';
import { invokePermissions } from '../../../local/stack/resources.ts';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  IDENTITY_IDS,
  type IdentityId,
} from '../../../workflows/access/identity-policies.ts';
import { auditCampaignId } from '../../../workflows/campaign/types.ts';
import { executionName } from '../../../workflows/rotate-device/naming.ts';
import { eventually, rotationRecord, startLocal, stopLocal } from '../helpers.ts';

const DAY_MS = 86_400_000;

/** Generous: a slow machine must not fail a case, and a passing case returns as soon as it can. */
export const WAIT_MS = 60_000;

/** A case waits a few times at most; longer than those waits, so a failing one ends before the next. */
export const CASE_TIMEOUT_MS = 5 * WAIT_MS;

/** How an asynchronous invocation (SNS, EventBridge) ended, and for which function. */
export interface Delivery {
  readonly source: 'sns' | 'eventbridge';
  readonly functionArn: string;
  readonly outcome: AsyncInvokeOutcome;
  /** The execution an EventBridge status-change event was about. */
  readonly executionArn?: string;
}

/** A request the local IAM refused: who, what, on which resource. */
export interface Denial {
  readonly principalArn: string;
  /** As the decision cache keys it: lower case. */
  readonly action: string;
  readonly resource: string;
}

export interface Env {
  readonly local: LocalAws;
  readonly dir: string;
  readonly fleet: FleetSimulator;
  /** The local services' diagnostics (failed rule actions, audit notifications, scheduled runs). */
  readonly logs: string[];
  readonly deliveries: Delivery[];
  /** Every refusal the local IAM decided for a role session, oldest first. */
  readonly denials: Denial[];
}

export interface EnvOptions {
  readonly local?: Partial<LocalAwsOptions>;
}

/** A local AWS (its clock 60 times real time unless told otherwise), with what the cases observe. */
export async function startEnv(options: EnvOptions = {}): Promise<Env> {
  const logs: string[] = [];
  const deliveries: Delivery[] = [];
  // Lambda's asynchronous retries keep AWS's delays (one and two minutes of the local clock), so a
  // function behind a service is seen to fail every attempt, not just the first.
  const env = await startLocal({ clockSpeed: 60, ...options.local, log: (line) => logs.push(line) });
  try {
    const { local } = env;
    // The local IAM memoizes each decision it makes for a role session, and setPolicies forgets them
    // all, so every refusal after a grant is removed passes through here: a record of what was denied
    // to whom, for failures a function reports only by their error name.
    const denials: Denial[] = [];
    const decisions = local.identities.store.decisions;
    const remember = decisions.set.bind(decisions);
    decisions.set = (key, decision) => {
      if (decision !== 'Allow') {
        const [principalArn = '', action = '', resource = ''] = key.split('\n');
        denials.push({ principalArn, action, resource });
      }
      remember(key, decision);
    };
    local.events.sns.onDelivery((d) =>
      deliveries.push({ source: 'sns', functionArn: d.endpoint, outcome: d.outcome }),
    );
    local.events.eventBridge.onDelivery((d) => {
      const event = local.events.eventBridge.events().find((e) => e.id === d.eventId);
      const detail = event?.detail as { executionArn?: unknown } | undefined;
      deliveries.push({
        source: 'eventbridge',
        functionArn: d.targetArn,
        outcome: d.outcome,
        ...(typeof detail?.executionArn === 'string' ? { executionArn: detail.executionArn } : {}),
      });
    });
    const fleet = new FleetSimulator({
      endpoint: local.endpoints.mqtt,
      serverCaPem: await readFile(local.endpoints.rootCaPath, 'utf8'),
      provisioner: new LocalIotProvisioner(local.iot),
      clock: local.clock,
    });
    return { local, dir: env.dir, fleet, logs, deliveries, denials };
  } catch (error) {
    await stopLocal(env);
    throw error;
  }
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.fleet.stop();
  await stopLocal(env);
}

// ---- grants ----

const listOf = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/**
 * The documents without `action` in the Allow statements that grant it (only those on a resource
 * containing `onResource`, when given); a statement left with no action goes. Fails when no statement
 * grants it: a case must remove a grant that exists.
 */
export function withoutAction(
  documents: readonly PolicyDocument[],
  action: string,
  onResource?: string,
): PolicyDocument[] {
  let found = false;
  const result = documents.map((document) => {
    const statements: PolicyStatement[] = [];
    for (const statement of document.Statement) {
      const actions = listOf(statement.Action);
      const targeted =
        statement.Effect === 'Allow' &&
        actions.includes(action) &&
        (onResource === undefined || listOf(statement.Resource).some((r) => r.includes(onResource)));
      if (!targeted) {
        statements.push(statement);
        continue;
      }
      found = true;
      const kept = actions.filter((a) => a !== action);
      if (kept.length > 0) statements.push({ ...statement, Action: kept });
    }
    return { ...document, Statement: statements };
  });
  if (!found) throw new Error(`no statement grants ${action}${onResource ? ` on ${onResource}` : ''}`);
  return result;
}

/** Every identity's policies as they are now, by identity (copies). */
export function policySnapshot(env: Env): Record<string, readonly PolicyDocument[]> {
  return Object.fromEntries(IDENTITY_IDS.map((id) => [id, structuredClone(policiesOf(env, id))]));
}

export function roleOf(env: Env, id: IdentityId): string {
  return env.local.identities.roleNameOf(id);
}

export function policiesOf(env: Env, id: IdentityId): readonly PolicyDocument[] {
  const policies = env.local.identities.store.policiesOf(roleOf(env, id));
  if (!policies) throw new Error(`no role for ${id}`);
  return policies;
}

/** One grant to take away: an identity and one action of its policies (on one resource, if given). */
export interface Removal {
  readonly identity: IdentityId;
  readonly action: string;
  /** Only the statements whose resource contains this (e.g. `table/recert-rotations`). */
  readonly onResource?: string;
}

/**
 * Runs `body` with each removal's action gone from its identity's policies, and gives every role its
 * original documents back afterwards, whatever happened.
 */
export async function withoutGrants<T>(
  env: Env,
  removals: readonly Removal[],
  body: () => Promise<T>,
): Promise<T> {
  const { store } = env.local.identities;
  const originals = new Map<string, readonly PolicyDocument[]>();
  try {
    for (const { identity, action, onResource } of removals) {
      const role = roleOf(env, identity);
      const current = policiesOf(env, identity);
      if (!originals.has(role)) originals.set(role, current);
      store.setPolicies(role, withoutAction(current, action, onResource));
    }
    return await body();
  } finally {
    for (const [role, documents] of originals) store.setPolicies(role, documents);
  }
}

/** The Lambda permission (resource-based policy statement) the stack adds under `statementId`. */
function invokePermission(env: Env, statementId: string) {
  const { region, accountId } = env.local.resources;
  const arns = Object.fromEntries(
    DEPLOYED_FUNCTION_IDS.map((id) => [id, env.local.functions.arnOf(functionName(id))]),
  ) as LocalFunctionArns;
  const wanted = invokePermissions(region, accountId, arns).find(
    (p) => p.permission.statementId === statementId,
  );
  if (!wanted) throw new Error(`the stack adds no permission ${statementId}`);
  return wanted;
}

/** Runs `body` without one of the functions' Lambda permissions, and adds it back afterwards. */
export async function withoutPermission<T>(
  env: Env,
  statementId: string,
  body: () => Promise<T>,
): Promise<T> {
  const { functionArn, permission } = invokePermission(env, statementId);
  env.local.functions.removePermission(functionArn, statementId);
  try {
    return await body();
  } finally {
    env.local.functions.addPermission(functionArn, permission);
  }
}

// ---- devices and triggers ----

export interface DeviceOptions {
  readonly behaviour?: BehaviourName;
  /** Inside the audit's 30-day threshold when under 30 (the audit then finds it). */
  readonly expiresInDays?: number;
  /** Connect it now (default), or leave it away until the test starts it. */
  readonly start?: boolean;
}

/** A new device of its own for one case, its certificate valid `expiresInDays` (365: no audit finds it). */
export async function addDevice(
  env: Env,
  thingName: string,
  options: DeviceOptions = {},
): Promise<SimulatedDevice> {
  const now = env.local.clock.now();
  const [device] = await env.fleet.provision([
    {
      thingName,
      behaviour: options.behaviour ?? 'healthy',
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + (options.expiresInDays ?? 365) * DAY_MS),
    },
  ]);
  if (!device) throw new Error(`${thingName} was not provisioned`);
  if (options.start ?? true) await connect(device);
  return device;
}

export async function connect(device: SimulatedDevice): Promise<void> {
  await device.start();
  await eventually(
    `${device.thingName} connected`,
    async () => (device.state().connected ? true : undefined),
    WAIT_MS,
  );
}

/** A device as a rotation names it: its thing and the certificate it holds. */
export interface RotatedDevice {
  readonly thingName: string;
  readonly initialCertificateId: string;
}

/** Starts the device's rotation by hand, as an operator does; returns the execution's ARN. */
export async function startRotation(env: Env, device: RotatedDevice): Promise<string> {
  const { thingName, initialCertificateId } = device;
  const out = await env.local.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: env.local.resources.stateMachineArn,
      name: executionName(thingName, initialCertificateId),
      input: JSON.stringify({ thingName, oldCertificateId: initialCertificateId }),
    }),
  );
  if (!out.executionArn) throw new Error('StartExecution returned no ARN');
  return out.executionArn;
}

/** Starts an on-demand audit of expiring certificates; returns its task and its campaign's execution ARN. */
export async function startAudit(env: Env): Promise<{ taskId: string; campaignExecutionArn: string }> {
  const { taskId } = await env.local.clients.iot.send(
    new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] }),
  );
  if (!taskId) throw new Error('no audit task id');
  const machine = env.local.resources.campaignStateMachineArn;
  const campaignExecutionArn = `${machine.replace(':stateMachine:', ':execution:')}:${auditCampaignId(taskId)}`;
  return { taskId, campaignExecutionArn };
}

// ---- what is observed ----

export async function describeExecution(
  env: Env,
  executionArn: string,
): Promise<DescribeExecutionOutput | undefined> {
  try {
    return await env.local.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

export async function ended(env: Env, executionArn: string): Promise<DescribeExecutionOutput> {
  return eventually(
    `${executionArn} to end`,
    async () => {
      const execution = await describeExecution(env, executionArn);
      return execution && execution.status !== 'RUNNING' ? execution : undefined;
    },
    WAIT_MS,
  );
}

export async function history(env: Env, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory(
    { client: env.local.clients.sfn },
    { executionArn, maxResults: 1000 },
  )) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** The state an event happened in: the nearest state-entered event up its previousEventId chain. */
export function stateOf(events: readonly HistoryEvent[], event: HistoryEvent): string | undefined {
  const byId = new Map(events.map((e) => [e.id, e]));
  let current: HistoryEvent | undefined = event;
  while (current) {
    if (current.stateEnteredEventDetails?.name) return current.stateEnteredEventDetails.name;
    current = current.previousEventId ? byId.get(current.previousEventId) : undefined;
  }
  return undefined;
}

export interface Failure {
  /** The execution's own error and cause. */
  readonly error: string | undefined;
  readonly cause: string | undefined;
  /** The state whose task failed last, and how. */
  readonly state: string | undefined;
  readonly taskError: string | undefined;
  readonly taskCause: string | undefined;
  /** How many times that state's task failed (its retries included). */
  readonly taskFailures: number;
}

/** Waits for the execution to end FAILED and says where and how it failed. */
export async function failure(env: Env, executionArn: string): Promise<Failure> {
  const execution = await ended(env, executionArn);
  if (execution.status !== 'FAILED') {
    throw new Error(`${executionArn} ended ${execution.status}, not FAILED`);
  }
  const events = await history(env, executionArn);
  const failed = events.filter((e) => e.type === 'TaskFailed');
  const last = failed.at(-1);
  const state = last ? stateOf(events, last) : undefined;
  return {
    error: execution.error,
    cause: execution.cause,
    state,
    taskError: last?.taskFailedEventDetails?.error,
    taskCause: last?.taskFailedEventDetails?.cause,
    taskFailures: failed.filter((e) => stateOf(events, e) === state).length,
  };
}

/** The states entered so far, in order. */
export async function statesEntered(env: Env, executionArn: string): Promise<string[]> {
  return (await history(env, executionArn)).flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
}

/** Stops an execution left running by a case, so nothing of it goes on during the next ones. */
export async function stopIfRunning(env: Env, executionArn: string): Promise<void> {
  const execution = await describeExecution(env, executionArn);
  if (execution?.status !== 'RUNNING') return;
  await env.local.clients.sfn.send(
    new StopExecutionCommand({ executionArn, error: 'LeastPrivilegeCaseOver', cause: 'the case is over' }),
  );
}

/** The running executions of a state machine. */
export async function runningExecutions(env: Env, stateMachineArn: string): Promise<string[]> {
  const { executions } = await env.local.clients.sfn.send(
    new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000 }),
  );
  return (executions ?? []).flatMap((e) => (e.executionArn ? [e.executionArn] : []));
}

/**
 * Leaves nothing of a case going on: running campaigns stopped, the rotations they started ended
 * (their devices are healthy), every asynchronous delivery and its retries done.
 */
export async function settle(env: Env): Promise<void> {
  for (const arn of await runningExecutions(env, env.local.resources.campaignStateMachineArn)) {
    await stopIfRunning(env, arn);
  }
  await eventually(
    'no rotation running',
    async () =>
      (await runningExecutions(env, env.local.resources.stateMachineArn)).length === 0 ? true : undefined,
    WAIT_MS,
  );
  await env.local.idle();
}

/** Waits for a diagnostic line of the local services, logged after the first `since`, with every fragment. */
export function logLine(env: Env, since: number, ...fragments: string[]): Promise<string> {
  return eventually(
    `a log line with ${fragments.join(' + ')}`,
    async () => env.logs.slice(since).find((line) => fragments.every((f) => line.includes(f))),
    WAIT_MS,
  );
}

/**
 * Waits for a failed asynchronous delivery to `functionArn`, after the first `since`, whose error
 * message contains `fragment` (and, given `executionArn`, whose status-change event is about it).
 */
export function failedDelivery(
  env: Env,
  since: number,
  functionArn: string,
  fragment: string,
  executionArn?: string,
): Promise<Delivery> {
  return eventually(
    `a failed delivery to ${functionArn} with ${fragment}`,
    async () =>
      env.deliveries
        .slice(since)
        .find(
          (d) =>
            d.functionArn === functionArn &&
            (executionArn === undefined || d.executionArn === executionArn) &&
            !d.outcome.ok &&
            d.outcome.error.message.includes(fragment),
        ),
    WAIT_MS,
  );
}

/** How many times the function ran so far. */
export function invocationsOf(env: Env, id: DeployedFunctionId): number {
  return env.local.functions.invocations().get(functionName(id)) ?? 0;
}

/** Every function's resource-based policy as it is now, by function name (copies). */
export function permissionSnapshot(env: Env): Record<string, unknown> {
  return Object.fromEntries(
    DEPLOYED_FUNCTION_IDS.map((id) => [id, structuredClone(env.local.functions.policyOf(functionName(id)))]),
  );
}

/** The escalations published so far about an execution. */
export function escalationsOf(env: Env, executionArn: string) {
  return env.local.events.sns
    .published(env.local.resources.escalationTopicArn)
    .filter((m) => m.message.includes(executionArn));
}

export async function recordOf(env: Env, thingName: string): Promise<Record<string, unknown> | undefined> {
  return rotationRecord(env.local, thingName);
}

/** Waits until the thing's rotation record satisfies `check`. */
export function recordWhere(
  env: Env,
  thingName: string,
  what: string,
  check: (record: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  return eventually(
    `${thingName}: ${what}`,
    async () => {
      const record = await recordOf(env, thingName);
      return record && check(record) ? record : undefined;
    },
    WAIT_MS,
  );
}

export const deniedFragment = (action: string): string => `is not authorized to perform: ${action}`;

export function functionArnOf(env: Env, id: DeployedFunctionId): string {
  return env.local.functions.arnOf(functionName(id));
}
