import { afterAll, beforeAll, expect } from 'vitest';
import {
  type Env,
  type EnvOptions,
  permissionSnapshot,
  policySnapshot,
  startEnv,
  stopEnv,
} from './harness.ts';

/** One local AWS for a file's cases, with the policies and permissions as deployed, taken at its start. */
export interface LeastPrivilegeSuite {
  env(): Env;
  deployed(): ReturnType<typeof policySnapshot>;
  permissions(): ReturnType<typeof permissionSnapshot>;
  /** A thing name no earlier case of the file used. */
  nextThing(): string;
}

/** Starts the suite's local AWS before the file's cases and stops it after them. */
export function leastPrivilegeSuite(thingPrefix: string, options: EnvOptions = {}): LeastPrivilegeSuite {
  let started: {
    env: Env;
    deployed: ReturnType<typeof policySnapshot>;
    permissions: Record<string, unknown>;
  };
  let count = 0;
  beforeAll(async () => {
    const env = await startEnv(options);
    started = { env, deployed: policySnapshot(env), permissions: permissionSnapshot(env) };
  });
  afterAll(async () => {
    await stopEnv(started?.env);
  });
  const running = () => {
    if (!started) throw new Error('the local AWS did not start');
    return started;
  };
  return {
    env: () => running().env,
    deployed: () => running().deployed,
    permissions: () => running().permissions,
    nextThing: () => `${thingPrefix}-${count++}`,
  };
}

/** Asserts every policy and Lambda permission is back as deployed (the start of a negative control). */
export function expectAsDeployed(suite: LeastPrivilegeSuite): void {
  expect(policySnapshot(suite.env())).toEqual(suite.deployed());
  expect(permissionSnapshot(suite.env())).toEqual(suite.permissions());
}
