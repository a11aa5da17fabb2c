import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { awsCall } from '../../workflows/rotate-device/aws-errors.ts';
import {
  type CloudToDeviceKind,
  encodeMessage,
  type MessageOf,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';

/** Sends one cloud-to-device message of the rotation protocol, QoS 1, through the IoT data plane. */
export async function publishToDevice<K extends CloudToDeviceKind>(
  iotData: IoTDataPlaneClient,
  thingName: string,
  kind: K,
  message: MessageOf<K>,
): Promise<void> {
  const payload = encodeMessage(kind, message);
  await awsCall(`Publish ${kind}`, () =>
    iotData.send(
      new PublishCommand({ topic: topicFor(thingName, kind), qos: 1, payload: Buffer.from(payload) }),
    ),
  );
}
