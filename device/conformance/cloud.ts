import { readFile } from 'node:fs/promises';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  IoTClient,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { Target } from '../../cli/index.ts';
import {
  abandonRotation,
  currentCertificate,
  getRecord,
  localTarget,
  pause,
  readLiveManifest,
  startRotation,
} from '../../cli/index.ts';
import { LOCAL_CREDENTIALS } from '../../local/index.ts';
import { type CloudToDeviceKind, topicFor } from '../../workflows/rotate-device/protocol.ts';
import type { RotationRecord } from '../../workflows/rotate-device/record.ts';

export type { RotationRecord };

const POLL_MS = 250;

/**
 * The cloud side of the local AWS as the kit drives it: rotations are started, watched and
 * abandoned as an operator would (`recert rotate`, `recert abandon`); messages are published to the
 * device and certificates' policies changed as the account's administrator can on AWS.
 */
export class ConformanceCloud {
  private blockPolicy: string | undefined;

  private constructor(
    readonly thingName: string,
    readonly target: Target,
    readonly iot: IoTClient,
    private readonly data: IoTDataPlaneClient,
    readonly endpoint: { readonly host: string; readonly port: number },
    readonly caPem: string,
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** The local AWS running from `stateDir`; throws TargetUnavailableError when there is none. */
  static async open(stateDir: string, thingName: string): Promise<ConformanceCloud> {
    const manifest = await readLiveManifest(stateDir);
    const target = await localTarget(stateDir);
    const { endpoints, resources } = manifest;
    const admin = { region: resources.region, credentials: LOCAL_CREDENTIALS };
    return new ConformanceCloud(
      thingName,
      target,
      new IoTClient({ ...admin, endpoint: endpoints.iot }),
      new IoTDataPlaneClient({ ...admin, endpoint: endpoints.iotData }),
      endpoints.mqtt,
      await readFile(endpoints.rootCaPath, 'utf8'),
      resources.region,
      resources.accountId,
    );
  }

  /** Starts a rotation of the thing's one ACTIVE certificate, under a name of its own. */
  async startRotation(): Promise<{ executionArn: string; oldCertificateId: string }> {
    const oldCertificateId = await this.currentCertificate();
    const started = await startRotation(
      this.target,
      { thingName: this.thingName, oldCertificateId, campaign: 'manual' },
      { fresh: { now: Date.now() } },
    );
    return { executionArn: started.executionArn, oldCertificateId };
  }

  /** The thing's one ACTIVE certificate; throws a CliError naming what is wrong otherwise. */
  async currentCertificate(): Promise<string> {
    return currentCertificate(this.target, this.thingName);
  }

  async record(): Promise<RotationRecord | undefined> {
    return getRecord(this.target, this.thingName);
  }

  /** The record once the execution's rotation has ended, or undefined when `signal` fires first. */
  async ended(executionArn: string, signal: AbortSignal): Promise<RotationRecord | undefined> {
    while (!signal.aborted) {
      const record = await this.record();
      if (record?.executionArn === executionArn && record.status !== 'IN_PROGRESS') return record;
      await pause(POLL_MS, signal);
    }
    return undefined;
  }

  /** Stops a rotation still in flight and revokes what it issued, so the next check can start one. */
  async abandonInFlight(): Promise<string | undefined> {
    const record = await this.record();
    if (record?.status !== 'IN_PROGRESS') return undefined;
    try {
      await abandonRotation(this.target, record, Date.now());
      return undefined;
    } catch (error) {
      return `could not abandon the rotation left in flight: ${error instanceof Error ? error.message : error}`;
    }
  }

  /** Publishes a message to the device as the cloud does (IoT data plane, QoS 1). */
  async publish(kind: CloudToDeviceKind, body: Record<string, unknown>): Promise<void> {
    await this.data.send(
      new PublishCommand({
        topic: topicFor(this.thingName, kind),
        qos: 1,
        payload: new TextEncoder().encode(JSON.stringify(body)),
      }),
    );
  }

  async certificatePem(certificateId: string): Promise<string> {
    const out = await this.iot.send(new DescribeCertificateCommand({ certificateId }));
    const pem = out.certificateDescription?.certificatePem;
    if (!pem) throw new Error(`certificate ${certificateId} has no PEM`);
    return pem;
  }

  async certificateStatus(certificateId: string): Promise<string | undefined> {
    try {
      const out = await this.iot.send(new DescribeCertificateCommand({ certificateId }));
      return out.certificateDescription?.status;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  /** Ids of the certificates attached to the thing. */
  async thingCertificates(): Promise<string[]> {
    const out = await this.iot.send(new ListThingPrincipalsCommand({ thingName: this.thingName }));
    return (out.principals ?? []).flatMap((arn) => /:cert\/([0-9a-f]{64})$/.exec(arn)?.[1] ?? []);
  }

  /**
   * Makes every certificate but `certificateId` unable to connect as the thing: a policy denying
   * it is attached to that certificate, and the rotation copies it to the certificate it issues,
   * which the device then cannot use.
   */
  async blockOtherCertificates(certificateId: string): Promise<void> {
    const policyName = `recert-conformance-block-${Date.now().toString(36)}`;
    const arn = `arn:aws:iot:${this.region}:${this.accountId}`;
    const document = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: 'iot:Connect',
          Resource: [`${arn}:client/${this.thingName}`],
          Condition: { StringNotEquals: { 'iot:CertificateId': certificateId } },
        },
      ],
    };
    await this.iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(document) }));
    this.blockPolicy = policyName;
    await this.iot.send(new AttachPolicyCommand({ policyName, target: `${arn}:cert/${certificateId}` }));
  }

  /** Detaches the blocking policy from one certificate, or from every certificate it reached. */
  async unblock(certificateId?: string): Promise<void> {
    const policyName = this.blockPolicy;
    if (!policyName) return;
    const out = await this.iot.send(new ListTargetsForPolicyCommand({ policyName }));
    for (const target of out.targets ?? []) {
      if (certificateId !== undefined && !target.endsWith(`/${certificateId}`)) continue;
      await this.iot.send(new DetachPolicyCommand({ policyName, target }));
    }
  }

  /** Detaches and deletes the blocking policy, if any; never throws. */
  async removeBlock(): Promise<void> {
    const policyName = this.blockPolicy;
    if (!policyName) return;
    await this.unblock().catch(() => undefined);
    await this.iot.send(new DeletePolicyCommand({ policyName })).catch(() => undefined);
    this.blockPolicy = undefined;
  }

  /** Removes what the kit made and closes the clients; never throws. */
  async close(): Promise<void> {
    await this.removeBlock();
    this.iot.destroy();
    this.data.destroy();
    this.target.close();
  }
}
