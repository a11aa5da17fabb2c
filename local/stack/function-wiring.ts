import { createHandler as auditFanout } from '../../functions/audit-fanout/handler.ts';
import { createHandler as deliverCertificate } from '../../functions/deliver-certificate/handler.ts';
import { createHandler as deviceReply } from '../../functions/device-reply/handler.ts';
import { createHandler as issueCertificate } from '../../functions/issue-certificate/handler.ts';
import { createHandler as onReconnect } from '../../functions/on-reconnect/handler.ts';
import { createHandler as outcomeRecorder } from '../../functions/outcome-recorder/handler.ts';
import { createHandler as requestCsr } from '../../functions/request-csr/handler.ts';
import { createHandler as retireCertificate } from '../../functions/retire-certificate/handler.ts';
import { createHandler as revokeCertificate } from '../../functions/revoke-certificate/handler.ts';
import type { RuntimeOptions } from '../../functions/shared/environment.ts';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import type { Clock } from '../clock.ts';
import type { FunctionRegistry, LambdaHandler } from '../lambda/registry.ts';
import type { LocalClients } from './clients.ts';

/** What the local stack binds where the Lambda environment would give an environment variable. */
export interface FunctionEnvironment {
  readonly clients: LocalClients;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly escalationTopicArn: string;
  readonly logLevel: NonNullable<RuntimeOptions['logLevel']>;
  /** The functions' own settings (the ones the CDK passes as environment variables). */
  readonly requireCnMatch: boolean;
  readonly acceptMissingRotationId: boolean;
  readonly graceDays: number;
}

type Factory = (env: FunctionEnvironment) => LambdaHandler;

const runtime = (env: FunctionEnvironment): RuntimeOptions => ({ clock: env.clock, logLevel: env.logLevel });

/**
 * Each function's `createHandler`, given local clients: the same handler code that Lambda runs, with
 * what its environment variables would say on AWS.
 */
const FACTORIES: Record<FunctionId, Factory> = {
  'audit-fanout': (env) =>
    auditFanout({
      ...runtime(env),
      iot: env.clients.iot,
      sfn: env.clients.sfn,
      stateMachineArn: env.stateMachineArn,
      region: env.region,
      accountId: env.accountId,
    }),
  'on-reconnect': (env) =>
    onReconnect({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iotData: env.clients.iotData,
    }),
  'outcome-recorder': (env) =>
    outcomeRecorder({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      sns: env.clients.sns,
      iot: env.clients.iot,
      stateMachineArn: env.stateMachineArn,
      escalationTopicArn: env.escalationTopicArn,
    }),
  'request-csr': (env) =>
    requestCsr({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iotData: env.clients.iotData,
    }),
  'issue-certificate': (env) =>
    issueCertificate({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iot: env.clients.iot,
      requireCnMatch: env.requireCnMatch,
    }),
  'deliver-certificate': (env) =>
    deliverCertificate({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iotData: env.clients.iotData,
    }),
  'device-reply': (env) =>
    deviceReply({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      sfn: env.clients.sfn,
      acceptMissingRotationId: env.acceptMissingRotationId,
    }),
  'revoke-certificate': (env) =>
    revokeCertificate({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iot: env.clients.iot,
    }),
  'retire-certificate': (env) =>
    retireCertificate({
      ...runtime(env),
      db: env.clients.documents,
      tableName: env.tableName,
      iot: env.clients.iot,
      graceDays: env.graceDays,
    }),
};

/** Registers every function of the contract under its name (`recert-<id>`), with its timeout. */
export function registerFunctions(
  registry: FunctionRegistry,
  env: FunctionEnvironment,
): Record<FunctionId, string> {
  const arns = {} as Record<FunctionId, string>;
  for (const spec of Object.values(FUNCTIONS)) {
    const fn = registry.register(functionName(spec.id), FACTORIES[spec.id](env), spec.timeoutSeconds);
    arns[spec.id] = fn.arn;
  }
  return arns;
}

export const functionName = (id: FunctionId): string => `recert-${id}`;
