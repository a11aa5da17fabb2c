import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { IoTClient } from '@aws-sdk/client-iot';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  AuditConfigurationProperties,
  applyConfiguration,
  ownershipId,
  ownershipOf,
  type AuditConfigurationProperties as Properties,
  type RemovalMode,
  removeConfiguration,
} from '../../../workflows/device-defender/account-audit.ts';

/**
 * The custom resource's onEvent handler (CDK Provider framework): hands the work to
 * `workflows/device-defender/account-audit.ts`, answers what recert changed and the topic in use.
 */

export interface OnEventResponse {
  readonly PhysicalResourceId?: string;
  readonly Data?: Record<string, string>;
}

export interface HandlerDeps {
  readonly iot: IoTClient;
  /** Whether a Delete is the stack's teardown or the cleanup after an update replaced the id. */
  readonly removalMode: (stackId: string) => Promise<RemovalMode>;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

export async function onEvent(
  event: CloudFormationCustomResourceEvent,
  deps: HandlerDeps,
): Promise<OnEventResponse> {
  const properties = () => parse(event.ResourceProperties);
  if (event.RequestType === 'Delete') {
    const ownership = ownershipOf(event.PhysicalResourceId);
    if (!ownership) {
      deps.log('nothing recorded for this id; nothing to undo', {
        physicalResourceId: event.PhysicalResourceId,
      });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const mode = await deps.removalMode(event.StackId);
    const removed = await removeConfiguration(deps.iot, properties(), ownership, mode);
    deps.log('audit configuration: recert share removed', { mode, ownership, ...removed });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const previous =
    event.RequestType === 'Update'
      ? {
          properties: parse(event.OldResourceProperties),
          ...withOwnership(ownershipOf(event.PhysicalResourceId)),
        }
      : undefined;
  const applied = await applyConfiguration(deps.iot, properties(), previous);
  deps.log('audit configuration: recert share applied', { ...applied });
  return {
    PhysicalResourceId: ownershipId(applied.ownership),
    Data: {
      TopicArn: applied.topicArn,
      TargetSetByRecert: String(applied.ownership.target),
      AuditRoleSetByRecert: String(applied.ownership.role),
      ChecksEnabledByRecert: applied.ownership.enabled.join(','),
      ChecksAlreadyEnabled: applied.alreadyEnabled.join(','),
    },
  };
}

function parse(raw: unknown): Properties {
  return AuditConfigurationProperties.parse(raw);
}

function withOwnership(ownership: ReturnType<typeof ownershipOf>) {
  return ownership ? { ownership } : {};
}

/** Cleanup phases (`UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`, its rollback twin) keep the stack. */
export async function removalModeOf(cfn: CloudFormationClient, stackId: string): Promise<RemovalMode> {
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
  const status = out.Stacks?.[0]?.StackStatus ?? '';
  return status.endsWith('_CLEANUP_IN_PROGRESS') ? 'cleanup' : 'teardown';
}

const iot = new IoTClient({});
const cfn = new CloudFormationClient({});

export const handler = (event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> =>
  onEvent(event, {
    iot,
    removalMode: (stackId) => removalModeOf(cfn, stackId),
    log: (message, fields) => console.log(JSON.stringify({ message, ...fields })),
  });
