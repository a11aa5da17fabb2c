import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TimeSource } from '../../lib/clock.ts';
import { lambdaClientConfig, withoutCallLogging } from './aws-client-config.ts';

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
 * The DynamoDB client every function's stores use, with its middleware cached; the stores write plain
 * values through `document-commands.ts`.
 */
export function dynamoDbClient(): DynamoDBClient {
  return withoutCallLogging(new DynamoDBClient(lambdaClientConfig()));
}

/** Runtime options shared by every handler's `createHandler`. */
export interface RuntimeOptions {
  readonly clock?: TimeSource;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  readonly metricsNamespace?: string;
}

export const defaultClock = { now: (): number => Date.now() };
