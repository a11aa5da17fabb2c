import { afterAll, beforeAll } from 'vitest';
import { TestBroker } from './test-broker.ts';

/** Starts a test broker before the suite's tests and stops it after them; the getter gives it once started. */
export function useTestBroker(): () => TestBroker {
  let broker: TestBroker | undefined;
  beforeAll(async () => {
    broker = await TestBroker.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  return () => {
    if (!broker) throw new Error('the test broker has not started');
    return broker;
  };
}
