import type { Grant } from './function-spec.ts';

/** Grants several functions of the rotation workflow share. */

/** A rotation's outcome, or its parking, moves its campaign's counters. */
export const CAMPAIGN_COUNTERS_GRANT: Grant = { actions: ['dynamodb:UpdateItem'], resource: 'campaignTable' };

/**
 * Taking a certificate out of service (functions/shared/iot-certificates.ts removeCertificate): detach
 * it from thing and policies, INACTIVE, delete. AWS authorizes each of these on the certificate;
 * ListAttachedPolicies lists no resource type in the authorization reference, while the IoT developer
 * guide names the target: `*` satisfies both readings.
 */
export const IOT_REMOVAL_GRANTS: readonly Grant[] = [
  {
    actions: [
      'iot:DescribeCertificate',
      'iot:DetachThingPrincipal',
      'iot:DetachPolicy',
      'iot:UpdateCertificate',
      'iot:DeleteCertificate',
    ],
    resource: 'iotCertificates',
  },
  { actions: ['iot:ListAttachedPolicies'], resource: 'any' },
];

/** Revoke and retire both read and write the rotation record, then take a certificate away. */
export const CERTIFICATE_REMOVAL_GRANTS: readonly Grant[] = [
  { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
  ...IOT_REMOVAL_GRANTS,
];
