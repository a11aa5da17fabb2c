import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListAttachedPoliciesCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';

/** The ARN AWS IoT gives a certificate of this id in the tests' account. */
export const certificateArn = (id: string): string => `arn:aws:iot:us-east-1:000000000000:cert/${id}`;

/** DescribeCertificate's answer for an ACTIVE certificate of this id; its PEM a placeholder unless given. */
export const activeCertificate = (certificateId: string, certificatePem = 'PEM') => ({
  certificateDescription: {
    certificateId,
    certificateArn: certificateArn(certificateId),
    certificatePem,
    status: 'ACTIVE' as const,
  },
});

/**
 * Resets a mocked IoT client to accept what revoking and retiring a certificate asks: every
 * certificate ACTIVE under its own ARN, the given policies attached, each detach, update and delete done.
 */
export function acceptRetirementCalls(
  iotMock: AwsClientStub<IoTClient>,
  policies: readonly string[] = ['device-policy'],
): void {
  iotMock.reset();
  iotMock
    .on(DescribeCertificateCommand)
    .callsFake((input: { certificateId: string }) => activeCertificate(input.certificateId));
  iotMock
    .on(ListAttachedPoliciesCommand)
    .resolves({ policies: policies.map((policyName) => ({ policyName })) });
  iotMock.on(DetachThingPrincipalCommand).resolves({});
  iotMock.on(DetachPolicyCommand).resolves({});
  iotMock.on(UpdateCertificateCommand).resolves({});
  iotMock.on(DeleteCertificateCommand).resolves({});
}

/** The file's IoT data-plane client, its publishes accepted (reset before each test); the mock records them. */
export function usePublishingIotData(): {
  iotData: IoTDataPlaneClient;
  iotDataMock: AwsClientStub<IoTDataPlaneClient>;
} {
  const iotData = new IoTDataPlaneClient({ region: 'us-east-1' });
  const iotDataMock = mockClient(iotData);
  beforeEach(() => {
    iotDataMock.reset();
    iotDataMock.on(PublishCommand).resolves({});
  });
  return { iotData, iotDataMock };
}
