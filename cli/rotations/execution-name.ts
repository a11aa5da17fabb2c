import { OperationFailedError } from '../errors.ts';

/**
 * The execution name of a (thing, old certificate) rotation is the audit fan-out's naming,
 * imported (never copied) so that manual starts and audit starts collide on purpose and run once.
 * It is loaded on first use, so that every other command works in a build without the fan-out.
 */
const FANOUT_NAMING_MODULE = '../../functions/audit-fanout/execution-name.ts';
const FANOUT_NAMING_EXPORT = 'rotationExecutionName';

type Naming = (thingName: string, oldCertificateId: string) => string;
let naming: Naming | undefined;

export async function loadRotationExecutionName(): Promise<Naming> {
  if (naming) return naming;
  let loaded: unknown;
  try {
    loaded = await import(new URL(FANOUT_NAMING_MODULE, import.meta.url).href);
  } catch (error) {
    throw new OperationFailedError(
      `cannot name the execution: the audit fan-out's naming (${FANOUT_NAMING_MODULE}) is not available`,
      { cause: error },
    );
  }
  const fn =
    typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, FANOUT_NAMING_EXPORT) : undefined;
  if (typeof fn !== 'function') {
    throw new OperationFailedError(`${FANOUT_NAMING_MODULE} does not export ${FANOUT_NAMING_EXPORT}`);
  }
  naming = (thingName, oldCertificateId) => {
    const name: unknown = fn(thingName, oldCertificateId);
    if (typeof name !== 'string' || name.length === 0) {
      throw new OperationFailedError(`${FANOUT_NAMING_EXPORT} returned no execution name`);
    }
    return name;
  };
  return naming;
}
