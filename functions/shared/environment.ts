import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaClientConfig } from './aws-client-config.ts';

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

export function booleanEnv(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigurationError(
    `environment variable ${name} must be true or false, got ${JSON.stringify(value)}`,
  );
}

export function numberEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new ConfigurationError(
      `environment variable ${name} must be a non-negative number, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

/**
 * The document client the record store uses: plain JS values, undefined attributes dropped. The
 * document client refuses a DynamoDB client that caches its middleware, so its client does not.
 */
export function documentClient(
  client: DynamoDBClient = new DynamoDBClient({ ...lambdaClientConfig(), cacheMiddleware: false }),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Runtime options shared by every handler's `createHandler`. */
export interface RuntimeOptions {
  readonly clock?: { now(): number };
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  readonly metricsNamespace?: string;
}

export const defaultClock = { now: (): number => Date.now() };
