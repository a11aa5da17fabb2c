/** The IoT data plane's Publish: `POST /topics/{topic}?qos=&retain=` with the raw payload as body. */
import { InvalidRequestException, RequestEntityTooLargeException } from '../errors.ts';
import type { MessageBus, RestRoute } from '../interfaces.ts';
import { isValidTopicName, MAX_TOPIC_BYTES } from '../policy/topic-filter.ts';
import { label, ok, queryBoolean, queryString } from './request.ts';

/** AWS IoT's message size limit, for HTTPS publishes as for MQTT. */
export const MAX_PUBLISH_BYTES = 128 * 1024;

export function dataPlaneRoutes(bus: MessageBus): RestRoute[] {
  return [
    {
      operation: 'Publish',
      method: 'POST',
      path: '/topics/{topic}',
      rawPayload: true,
      async handle(request) {
        const topic = label(request, 'topic');
        if (!isValidTopicName(topic)) {
          throw new InvalidRequestException(
            `topic '${topic}' is not a valid topic name (1-${MAX_TOPIC_BYTES} bytes, no '+' or '#')`,
          );
        }
        if (topic.startsWith('$aws/events/'))
          throw new InvalidRequestException('lifecycle topics are reserved');
        const rawQos = queryString(request, 'qos') ?? '0';
        if (rawQos !== '0' && rawQos !== '1')
          throw new InvalidRequestException(`qos must be 0 or 1, got '${rawQos}'`);
        if (request.rawBody.length > MAX_PUBLISH_BYTES) {
          throw new RequestEntityTooLargeException(`payload exceeds ${MAX_PUBLISH_BYTES} bytes`);
        }
        await bus.publish({
          topic,
          payload: request.rawBody,
          qos: rawQos === '1' ? 1 : 0,
          retain: queryBoolean(request, 'retain') ?? false,
        });
        return ok();
      },
    },
  ];
}
