import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { devicePolicyDocument, THING_NAME_VARIABLE } from '../../workflows/rotate-device/device-policy.ts';
import {
  CLOUD_TO_DEVICE,
  DEVICE_TO_CLOUD,
  deviceInboxFilter,
  THING_NAME_PATTERN,
  topicFor,
} from '../../workflows/rotate-device/protocol.ts';

const ARN = 'arn:aws:iot:eu-west-1:123456789012';

/** What AWS IoT does with the policy variable when `thing` connects: the document for that thing. */
function resolvedFor(thing: string) {
  const text = JSON.stringify(devicePolicyDocument('aws', 'eu-west-1', '123456789012'));
  return JSON.parse(text.split(THING_NAME_VARIABLE).join(thing)) as ReturnType<typeof devicePolicyDocument>;
}

function resourcesOf(doc: ReturnType<typeof devicePolicyDocument>, action: string): string[] {
  return doc.Statement.filter((s) => s.Action === action).flatMap((s) => [...s.Resource]);
}

const thingNames = fc.stringMatching(THING_NAME_PATTERN);

describe('devicePolicyDocument', () => {
  it('has exactly the four least-privilege statements, scoped by the thing-name policy variable', () => {
    // Prepare / Act
    const doc = devicePolicyDocument('aws-cn', 'cn-north-1', '210987654321');

    // Assess
    const iot = 'arn:aws-cn:iot:cn-north-1:210987654321';
    const own = `management/topic/${THING_NAME_VARIABLE}`;
    expect(doc).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: [`${iot}:client/\${iot:Connection.Thing.ThingName}`],
          Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
        },
        {
          Effect: 'Allow',
          Action: 'iot:Publish',
          Resource: [
            `${iot}:topic/${own}/csr_res`,
            `${iot}:topic/${own}/crt_ack`,
            `${iot}:topic/${own}/crt_err`,
          ],
        },
        {
          Effect: 'Allow',
          Action: 'iot:Subscribe',
          Resource: [
            `${iot}:topicfilter/${own}/+`,
            `${iot}:topicfilter/${own}/csr_req`,
            `${iot}:topicfilter/${own}/crt_res`,
          ],
        },
        {
          Effect: 'Allow',
          Action: 'iot:Receive',
          Resource: [`${iot}:topic/${own}/csr_req`, `${iot}:topic/${own}/crt_res`],
        },
      ],
    });
  });

  it('lets a thing publish its own replies and receive its own requests, as the protocol names them', () => {
    fc.assert(
      fc.property(thingNames, (thing) => {
        // Prepare / Act
        const doc = resolvedFor(thing);

        // Assess
        expect(resourcesOf(doc, 'iot:Connect')).toEqual([`${ARN}:client/${thing}`]);
        expect(resourcesOf(doc, 'iot:Publish')).toEqual(
          DEVICE_TO_CLOUD.map((kind) => `${ARN}:topic/${topicFor(thing, kind)}`),
        );
        expect(resourcesOf(doc, 'iot:Receive')).toEqual(
          CLOUD_TO_DEVICE.map((kind) => `${ARN}:topic/${topicFor(thing, kind)}`),
        );
        expect(resourcesOf(doc, 'iot:Subscribe')).toContain(`${ARN}:topicfilter/${deviceInboxFilter(thing)}`);
      }),
    );
  });

  it("names only the thing's own client id and topics, never a wildcard, never a reply to receive", () => {
    fc.assert(
      fc.property(thingNames, (thing) => {
        // Prepare / Act
        const resources = resolvedFor(thing).Statement.flatMap((s) => [...s.Resource]);

        // Assess
        for (const resource of resources) {
          const path = resource.slice(`${ARN}:`.length);
          expect(path).not.toMatch(/[*#]/);
          const owner = path.startsWith('client/')
            ? path.slice('client/'.length)
            : /^topic(?:filter)?\/management\/topic\/([^/]+)\/[^/]+$/.exec(path)?.[1];
          expect(owner).toBe(thing);
        }
        for (const kind of DEVICE_TO_CLOUD) {
          expect(resourcesOf(resolvedFor(thing), 'iot:Receive')).not.toContain(
            `${ARN}:topic/${topicFor(thing, kind)}`,
          );
        }
      }),
    );
  });
});
