import { type Clock, ScaledClock } from '../../lib/clock.ts';
import { namedError } from '../../lib/named-error.ts';
import type { CapturedLine } from '../lambda/log-capture.ts';
import { FunctionWorkers } from '../lambda/worker/function-workers.ts';
import {
  WORKER_FUNCTIONS_EXPORT,
  WORKER_FUNCTIONS_MODULE,
  type WorkerFunctionsInit,
} from './worker-functions.ts';

class FunctionWorkersNeedScaledClockError extends namedError('FunctionWorkersNeedScaledClockError') {}

/** Worker threads that run the functions on the same scaled clock as this thread. */
export async function startFunctionWorkers(
  count: number,
  clock: Clock,
  init: Omit<WorkerFunctionsInit, 'clock'>,
  cpuProfileDir: string | undefined,
  onLog?: (line: CapturedLine) => void,
): Promise<FunctionWorkers> {
  if (!(clock instanceof ScaledClock)) {
    throw new FunctionWorkersNeedScaledClockError(
      'functionWorkers needs the local AWS to run its own scaled clock: a caller-supplied clock cannot be read from another thread',
    );
  }
  const workerInit: WorkerFunctionsInit = { ...init, clock: clock.origin() };
  return FunctionWorkers.start({
    count,
    factoryModule: WORKER_FUNCTIONS_MODULE,
    factoryExport: WORKER_FUNCTIONS_EXPORT,
    init: workerInit,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    ...(onLog ? { onLog } : {}),
  });
}
