import { type IoTClient, paginateListPrincipalThings } from '@aws-sdk/client-iot';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { everyItem } from '../../../lib/aws/pages.ts';
import type { QueuedRotation } from '../../../workflows/campaign/types.ts';
import { awsCall, errorName, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import { executionName } from '../../../workflows/rotate-device/naming.ts';
import type { RotationInput } from '../../../workflows/rotate-device/types.ts';
import type { Counter, Log } from '../../shared/observability.ts';

export interface StartTally {
  started: number;
  alreadyStarted: number;
  skipped: number;
}

export interface StartRotationDeps {
  readonly iot: IoTClient;
  readonly sfn: SFNClient;
  readonly log: Log;
  readonly counter: Counter;
  /** The rotate-device state machine. */
  readonly stateMachineArn: string;
  /** `arn:<partition>:iot:<region>:<account>:cert/`: the certificate ARN without its id. */
  readonly certificateArnPrefix: string;
}

/** ListPrincipalThings answers this for a certificate that is gone or a malformed ARN: nothing to start. */
const NOTHING_TO_START = ['ResourceNotFoundException', 'InvalidRequestException'];
/** StartExecution rejects this rotation's name or input: it can never start, the others can. */
const START_REJECTED = ['InvalidName', 'InvalidExecutionInput'];

/** The things a certificate (its ARN) is attached to, every page. */
function thingsOf(iot: IoTClient, certificateArn: string): Promise<string[]> {
  return awsCall('ListPrincipalThings', () =>
    everyItem(
      paginateListPrincipalThings({ client: iot, pageSize: 250 }, { principal: certificateArn }),
      (page) => page.things,
    ),
  );
}

/**
 * Starts the rotation of one queued certificate on each of its things, named from thing and
 * certificate (a repeated start finds it there). A transient failure is thrown: the batch stops at
 * this entry and it is started again later.
 */
export async function startRotation(
  campaignId: string,
  entry: QueuedRotation,
  deps: StartRotationDeps,
): Promise<StartTally> {
  const tally: StartTally = { started: 0, alreadyStarted: 0, skipped: 0 };
  const fields = { campaignId, position: entry.position, certificateId: entry.oldCertificateId };
  let things: string[];
  try {
    things = entry.thingName
      ? [entry.thingName]
      : await thingsOf(deps.iot, `${deps.certificateArnPrefix}${entry.oldCertificateId}`);
  } catch (error) {
    if (!isNamed(error, ...NOTHING_TO_START)) throw error;
    things = [];
  }
  if (things.length === 0) {
    tally.skipped++;
    deps.counter.count('RotationSkipped', { reason: 'no-thing' });
    deps.log.warn('certificate attached to no thing; nothing to rotate', fields);
    return tally;
  }
  for (const thingName of things) {
    const input: RotationInput = {
      thingName,
      oldCertificateId: entry.oldCertificateId,
      campaign: campaignId,
    };
    try {
      await awsCall('StartExecution', () =>
        deps.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: deps.stateMachineArn,
            name: executionName(thingName, entry.oldCertificateId),
            input: JSON.stringify(input),
          }),
        ),
      );
      tally.started++;
      deps.counter.count('RotationStarted');
    } catch (error) {
      if (isNamed(error, 'ExecutionAlreadyExists')) {
        tally.alreadyStarted++;
        deps.log.info('rotation already started', { ...fields, thingName });
      } else if (isNamed(error, ...START_REJECTED)) {
        tally.skipped++;
        deps.counter.count('RotationSkipped', { reason: errorName(error) });
        deps.log.warn('rotation cannot be started', { ...fields, thingName, error: errorName(error) });
      } else {
        throw error;
      }
    }
  }
  return tally;
}
