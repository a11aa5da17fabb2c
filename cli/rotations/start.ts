import { DescribeCertificateCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { RotationInput } from '../../workflows/rotate-device/types.ts';
import { isNamed, NotFoundError, RefusedError, UsageError } from '../errors.ts';
import type { Target } from '../target/target.ts';
import { getRecord } from './records.ts';

export interface RotationRequest {
  readonly thingName: string;
  readonly oldCertificateId: string;
  readonly campaign: string;
}

export interface StartOutcome extends RotationRequest {
  readonly executionArn: string;
  readonly result: 'started' | 'already started' | 'would start';
  readonly status?: string | undefined;
}

const CERT_ARN = /:cert\/([0-9a-f]{64})$/;

/** The certificate a thing's rotation replaces: its one ACTIVE certificate, or the one named. */
export async function currentCertificate(target: Target, thingName: string, named?: string): Promise<string> {
  const principals: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await target.iot.send(
        new ListThingPrincipalsCommand({ thingName, ...(nextToken ? { nextToken } : {}) }),
      );
      principals.push(...(out.principals ?? []));
      nextToken = out.nextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) {
      throw new NotFoundError(`there is no thing named ${thingName}`, { cause: error });
    }
    throw error;
  }
  const attached = principals.flatMap((arn) => {
    const id = CERT_ARN.exec(arn)?.[1];
    return id ? [id] : [];
  });
  if (named !== undefined) {
    if (!attached.includes(named)) {
      throw new RefusedError(`certificate ${named} is not attached to ${thingName}`, {
        hint: `attached: ${attached.join(', ') || 'none'}`,
      });
    }
    return named;
  }
  const active: string[] = [];
  for (const certificateId of attached) {
    const out = await target.iot.send(new DescribeCertificateCommand({ certificateId }));
    if (out.certificateDescription?.status === 'ACTIVE') active.push(certificateId);
  }
  if (active.length === 1 && active[0] !== undefined) return active[0];
  if (active.length === 0) {
    throw new RefusedError(`${thingName} has no ACTIVE certificate attached: there is nothing to rotate`);
  }
  throw new UsageError(`${thingName} has ${active.length} ACTIVE certificates: say which one to replace`, {
    hint: `pass --certificate with one of ${active.join(', ')}`,
  });
}

const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts one rotation under the same idempotent name the audit fan-out uses, so starting it twice
 * (by hand, or by hand and by an audit) runs it once. Refuses when another rotation of the thing is
 * in flight, since the new execution would only fail at its claim.
 */
export async function startRotation(
  target: Target,
  request: RotationRequest,
  options: { dryRun?: boolean; fresh?: { now: number } } = {},
): Promise<StartOutcome> {
  const input = RotationInput.parse(request);
  const base = executionName(input.thingName, input.oldCertificateId);
  const name = options.fresh ? freshName(base, options.fresh.now) : base;
  const executionArn = executionArnOf(target.resources.stateMachineArn, name);
  try {
    const existing = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { ...request, executionArn, result: 'already started', status: existing.status };
  } catch (error) {
    if (!isNamed(error, 'ExecutionDoesNotExist')) throw error;
  }
  const record = await getRecord(target, input.thingName);
  if (record?.status === 'IN_PROGRESS' && record.executionArn !== executionArn) {
    throw new RefusedError(`${input.thingName} already has a rotation in flight (${record.executionArn})`, {
      hint: `wait for it, or "recert abandon ${input.thingName}" first`,
    });
  }
  if (options.dryRun) return { ...request, executionArn, result: 'would start' };
  try {
    const out = await target.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: target.resources.stateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    return {
      ...request,
      executionArn: out.executionArn ?? executionArn,
      result: 'started',
      status: 'RUNNING',
    };
  } catch (error) {
    if (isNamed(error, 'ExecutionAlreadyExists')) {
      return { ...request, executionArn, result: 'already started' };
    }
    throw error;
  }
}

/**
 * A name for a deliberate restart after an execution that can no longer be redriven: the base
 * name is unique for 90 days, so a time suffix makes a new one. At most 80 characters.
 */
export function freshName(base: string, now: number): string {
  const suffix = `-r${now.toString(36)}`;
  return `${base.slice(0, 80 - suffix.length)}${suffix}`;
}
