import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * A fixture started before each test (or once before all of the file's tests, with `'all'`) and
 * closed after it; the returned object reads whichever fixture is running at the time.
 */
export function useStarted<T extends { close(): Promise<unknown> }>(
  start: () => Promise<T>,
  scope: 'each' | 'all' = 'each',
): T {
  let current: T | undefined;
  const open = async (): Promise<void> => {
    current = await start();
  };
  const shut = async (): Promise<void> => {
    await current?.close();
    current = undefined;
  };
  if (scope === 'each') {
    beforeEach(open);
    afterEach(shut);
  } else {
    beforeAll(open);
    afterAll(shut);
  }
  return new Proxy({} as T, {
    get(_, key) {
      if (!current) throw new Error('the fixture starts before the tests run; use it inside a test or hook');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
