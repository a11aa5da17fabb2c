/** The ids of the rotation the function tests act on: one device, its old and new certificate, two executions. */
export const EXECUTION_ARN =
  'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:sensor-0001-a';
export const OTHER_EXECUTION_ARN =
  'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:other';
export const OLD_CERT_ID = 'a'.repeat(64);
export const NEW_CERT_ID = 'b'.repeat(64);
export const ROTATION_ID = '11111111-2222-4333-8444-555555555555';
export const NEXT_ROTATION_ID = '66666666-7777-4888-9999-000000000000';
export const THING = 'sensor-0001';
export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
