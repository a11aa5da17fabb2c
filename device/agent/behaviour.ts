import type { AnyKeyType } from './crypto.ts';
import type { LinkFaults } from './mqtt-link.ts';

/**
 * The decisions a device makes that the fleet simulator varies. A real device uses `honestBehaviour`;
 * the simulator plugs in strategies that go offline, drop links, refuse certificates or misbehave on
 * purpose, so the cloud side can be tested against every one of them.
 */

export interface CsrRequestContext {
  readonly thingName: string;
  /** The rotation id the cloud sent. */
  readonly rotationId: string;
  /** Earlier rotation ids this device received, oldest first (bounded). */
  readonly history: readonly string[];
  readonly random: () => number;
}

export interface CsrPlan {
  /** Which key goes into the CSR: a new one of the configured type or `weakKeyType`, or the current key. */
  readonly key: 'fresh' | 'current' | 'weak';
  readonly weakKeyType?: AnyKeyType;
  /** Subject CN of the CSR. */
  readonly commonName: string;
  /** The rotation id put in `csr_res`. */
  readonly replyRotationId: string;
  /** The thing whose `csr_res` topic the reply goes to. */
  readonly replyThingName: string;
}

export interface CertificateContext {
  readonly thingName: string;
  readonly rotationId: string;
  readonly certificateId: string;
}

/**
 * ack: prove the certificate over a new connection (the protocol).
 * reject: refuse it with `crt_err`.
 * ignore: say nothing.
 * ack-over-old: claim success over the old connection without ever using the new certificate.
 */
export type CertificatePlan = 'ack' | 'reject' | 'ignore' | 'ack-over-old';

/** A behaviour's link faults (offline periods, link drops) are handed to the agent's MQTT link. */
export interface DeviceBehaviour extends LinkFaults {
  readonly name: string;
  /** On `csr_req`: how to answer, or 'ignore'. */
  onCsrRequest(context: CsrRequestContext): CsrPlan | 'ignore';
  /** On `crt_res` for the pending key. */
  onCertificate(context: CertificateContext): CertificatePlan;
}

/** The protocol as specified: a fresh key, CN = thing name, the cloud's rotation id, proof over the new certificate. */
export const honestBehaviour: DeviceBehaviour = {
  name: 'healthy',
  onCsrRequest: (context) => ({
    key: 'fresh',
    commonName: context.thingName,
    replyRotationId: context.rotationId,
    replyThingName: context.thingName,
  }),
  onCertificate: () => 'ack',
};
