/**
 * Whether AWS IoT accepts a CONNECT: a client id of 1-128 bytes within the CONNECT quotas, a client
 * certificate that is registered, ACTIVE and valid on the shared clock (its CA ACTIVE too), and
 * policies that allow iot:Connect for the client id and the publish of its last will.
 */
import type { TLSSocket } from 'node:tls';
import type { Client } from 'aedes';
import { certificateIdOf } from '../ca/certificates.ts';
import { isAllowed, resourceArn } from '../policy/evaluate.ts';
import { isValidTopicName } from '../policy/topic-filter.ts';
import type { MqttBrokerOptions } from './broker-options.ts';
import { lastWill } from './client-facts.ts';

export type Admission =
  | { readonly accepted: true; readonly certificateId: string }
  | { readonly accepted: false; readonly reason: string; readonly certificateId?: string };

const refused = (reason: string, certificateId?: string): Admission => ({
  accepted: false,
  reason,
  ...(certificateId === undefined ? {} : { certificateId }),
});

/** Judges a client's CONNECT over its TLS socket; takes its CONNECT quota tokens when it gets that far. */
export function admissionOf(client: Client, socket: TLSSocket, options: MqttBrokerOptions): Admission {
  const clientId = client.id;
  const raw = socket.getPeerCertificate(false)?.raw;
  if (!raw) return refused('no client certificate');
  const certificateId = certificateIdOf(raw);
  if (clientId === '' || Buffer.byteLength(clientId) > 128) {
    return refused('client id must be 1-128 bytes', certificateId);
  }
  const quotas = options.quotas;
  if (
    quotas &&
    !(quotas.tryTake('MQTT:Connect') && quotas.tryTakeKeyed('MQTT:ConnectPerClientId', clientId))
  ) {
    return refused('CONNECT rate exceeded', certificateId);
  }
  const cert = options.registry.certificates.find(certificateId);
  if (!cert) return refused('certificate is not registered', certificateId);
  if (cert.status !== 'ACTIVE') return refused(`certificate is ${cert.status}`, certificateId);
  const now = options.clock.now();
  if (now > cert.notAfter) return refused('certificate has expired', certificateId);
  if (now < cert.notBefore) return refused('certificate is not yet valid', certificateId);
  if (cert.caCertificateId !== undefined) {
    const ca = options.registry.certificates.findCa(cert.caCertificateId);
    if (ca?.status !== 'ACTIVE') return refused('its CA certificate is not ACTIVE', certificateId);
  }
  const ctx = options.registry.policyContext(clientId, certificateId);
  const policies = options.registry.policies.documentsFor(certificateId);
  if (!isAllowed(policies, 'iot:Connect', resourceArn(options.partition, 'client', clientId), ctx)) {
    return refused('policies do not allow iot:Connect', certificateId);
  }
  // The last will is published by the broker later, so it is authorized now, as AWS IoT does.
  const will = lastWill(client);
  if (will) {
    const arn = resourceArn(options.partition, 'topic', will.topic);
    const allowed =
      isValidTopicName(will.topic) &&
      isAllowed(policies, 'iot:Publish', arn, ctx) &&
      (!will.retain || isAllowed(policies, 'iot:RetainPublish', arn, ctx));
    if (!allowed) return refused(`policies do not allow the will topic ${will.topic}`, certificateId);
  }
  return { accepted: true, certificateId };
}
