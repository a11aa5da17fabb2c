/** The ARNs AWS IoT gives its resources, and reading a certificate id back out of one. */
import { InvalidRequestException } from '../errors.ts';

export interface Partition {
  readonly region: string;
  readonly accountId: string;
}

const base = (p: Partition): string => `arn:aws:iot:${p.region}:${p.accountId}`;

export const thingArn = (p: Partition, name: string): string => `${base(p)}:thing/${name}`;
export const certificateArn = (p: Partition, id: string): string => `${base(p)}:cert/${id}`;
export const caCertificateArn = (p: Partition, id: string): string => `${base(p)}:cacert/${id}`;
export const policyArn = (p: Partition, name: string): string => `${base(p)}:policy/${name}`;

const CERT_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:cert\/([0-9a-f]{64})$/;

export const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

/** The certificate id of a certificate ARN principal; other principal kinds are not supported locally. */
export function certificateIdFromArn(arn: string, field: string): string {
  const id = CERT_ARN.exec(arn)?.[1];
  if (id === undefined) {
    throw new InvalidRequestException(
      `${field} must be a certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>), got '${arn}'`,
    );
  }
  return id;
}

export function checkCertificateId(id: string): void {
  if (!CERTIFICATE_ID.test(id)) {
    throw new InvalidRequestException(
      `certificateId must be 64 lowercase hexadecimal characters, got '${id}'`,
    );
  }
}
