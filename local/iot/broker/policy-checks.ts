/** What a connected client's policies let it do: publish, subscribe, receive, as AWS IoT judges them. */
import { type IotAction, isAllowed, resourceArn } from '../policy/evaluate.ts';
import { isValidTopicFilter, isValidTopicName } from '../policy/topic-filter.ts';
import type { MqttBrokerOptions } from './broker-options.ts';

/** Who is asking: the client id and the certificate it connected with. */
export interface Principal {
  readonly clientId: string;
  readonly certificateId: string;
}

type PolicySource = Pick<MqttBrokerOptions, 'registry' | 'partition'>;

/** Whether the certificate's policies, as they are now, allow the action on the resource. */
export function allowedFor(source: PolicySource, who: Principal, action: IotAction, arn: string): boolean {
  const ctx = source.registry.policyContext(who.clientId, who.certificateId);
  return isAllowed(source.registry.policies.documentsFor(who.certificateId), action, arn, ctx);
}

/** Why a client's PUBLISH is refused, or undefined when it is allowed. */
export function publishDenial(
  source: PolicySource,
  who: Principal | undefined,
  packet: { readonly topic: string; readonly qos: number; readonly retain: boolean },
): string | undefined {
  const { topic } = packet;
  if (!who) return 'not connected';
  if (packet.qos > 1) return 'QoS 2 is not supported';
  if (!isValidTopicName(topic)) return `'${topic}' is not a valid topic name`;
  if (topic.startsWith('$aws/events/')) return 'lifecycle topics are reserved';
  const arn = resourceArn(source.partition, 'topic', topic);
  if (!allowedFor(source, who, 'iot:Publish', arn)) return `policies do not allow iot:Publish to ${topic}`;
  if (packet.retain && !allowedFor(source, who, 'iot:RetainPublish', arn)) {
    return `policies do not allow iot:RetainPublish to ${topic}`;
  }
  return undefined;
}

/** Why a client's SUBSCRIBE to a filter is refused, or undefined when it is allowed. */
export function subscribeDenial(
  source: PolicySource,
  who: Principal | undefined,
  filter: string,
): string | undefined {
  if (!who) return 'not connected';
  if (!isValidTopicFilter(filter)) return `'${filter}' is not a valid topic filter`;
  const arn = resourceArn(source.partition, 'topicfilter', filter);
  if (!allowedFor(source, who, 'iot:Subscribe', arn))
    return `policies do not allow iot:Subscribe to ${filter}`;
  return undefined;
}
