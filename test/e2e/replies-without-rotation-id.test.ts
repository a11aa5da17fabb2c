import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { createCsrPem, generatePrivateKeyPem } from '../../device/agent/crypto.ts';
import type { FleetSimulator } from '../../device/fleet/fleet-simulator.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { CertificateResponse, topicFor } from '../../workflows/rotate-device/protocol.ts';
import { type CliRun, runIn } from '../cli/helpers/local-aws.ts';
import { connectDevice, end, subscribe } from '../local/iot/helpers/mqtt.ts';
import { eventually, fleetOn, startLocal, stopLocal, thingCertificateIds } from './helpers.ts';

const DAY = 86_400_000;
const BLOG_NOTE =
  'accepted without rotationId: csr_res, crt_ack (blog-compatible mode, ACCEPT_REPLIES_WITHOUT_ROTATION_ID)';

/**
 * A device built for the AWS blog flow: it answers `csr_req` with `{"CSR"}` and proves the new
 * certificate with `{}`, never sending the rotationId. recert accepts it by default
 * (ACCEPT_REPLIES_WITHOUT_ROTATION_ID) and `recert rotations show` says so.
 */
class BlogDevice {
  private readonly clients: MqttClient[] = [];

  constructor(
    private readonly local: LocalAws,
    private readonly identity: { thingName: string; certificatePem: string; privateKeyPem: string },
  ) {}

  async start(): Promise<void> {
    const { thingName } = this.identity;
    const old = await this.connect(this.identity);
    await subscribe(old, `management/topic/${thingName}/+`);
    let pendingKeyPem: string | undefined;
    old.on('message', (topic, payload) => {
      void (async () => {
        if (topic === topicFor(thingName, 'csr_req')) {
          pendingKeyPem = await generatePrivateKeyPem('ec-p256');
          const CSR = await createCsrPem(pendingKeyPem, thingName);
          await old.publishAsync(topicFor(thingName, 'csr_res'), JSON.stringify({ CSR }), { qos: 1 });
        } else if (topic === topicFor(thingName, 'crt_res') && pendingKeyPem) {
          const { certificatePem } = CertificateResponse.parse(JSON.parse(payload.toString()));
          // The proof goes over a connection with the new certificate (it takes over the client id).
          const proven = await this.connect({ certificatePem, privateKeyPem: pendingKeyPem });
          await proven.publishAsync(topicFor(thingName, 'crt_ack'), '{}', { qos: 1 });
        }
      })();
    });
  }

  async stop(): Promise<void> {
    await end(...this.clients);
  }

  private async connect(pair: { certificatePem: string; privateKeyPem: string }): Promise<MqttClient> {
    const client = await connectDevice(this.local.iot, pair, { clientId: this.identity.thingName });
    this.clients.push(client);
    return client;
  }
}

describe('replies without rotationId (the blog-compatible mode, on by default)', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let fleet: FleetSimulator | undefined;
  let blog: BlogDevice | undefined;
  const initial = new Map<string, string>();
  const run = (argv: string[]): Promise<CliRun> => {
    if (!env) throw new Error('no local AWS');
    return runIn(argv, { RECERT_LOCAL: '1', RECERT_STATE_DIR: env.dir }, env.dir);
  };
  const rotated = (thing: string) =>
    eventually(`${thing} rotated`, async () => {
      const shown = await run(['rotations', 'show', thing, '--json']);
      if (shown.code !== EXIT.ok) return undefined;
      const { status } = z
        .object({ record: z.object({ status: z.string() }) })
        .parse(JSON.parse(shown.stdout)).record;
      return status === 'SUCCEEDED' ? status : undefined;
    });

  beforeAll(async () => {
    env = await startLocal();
    const { local } = env;
    const notAfter = local.clock.now() + 200 * DAY;
    fleet = await fleetOn(local);
    const [healthy] = await fleet.provision([
      {
        thingName: 'bc-healthy',
        behaviour: 'healthy',
        notBefore: new Date(local.clock.now() - DAY),
        notAfter: new Date(notAfter),
      },
    ]);
    if (healthy) initial.set(healthy.thingName, healthy.initialCertificateId);
    await fleet.start();
    const device = await local.iot.provisionDevice({ thingName: 'bc-blog', validity: { notAfter } });
    initial.set('bc-blog', device.certificateId);
    blog = new BlogDevice(local, device);
    await blog.start();
  });

  afterAll(async () => {
    await blog?.stop();
    await fleet?.stop();
    await stopLocal(env);
  });

  it('rotates a device that never sends rotationId, and rotations show says its replies were taken without one', async () => {
    // Act
    const started = await run(['rotate', 'bc-blog']);
    await rotated('bc-blog');
    const shown = await run(['rotations', 'show', 'bc-blog']);
    const json = await run(['rotations', 'show', 'bc-blog', '--json']);

    // Assess
    expect(started.code).toBe(EXIT.ok);
    if (!env) throw new Error('no local AWS');
    const [current] = await thingCertificateIds(env.local, 'bc-blog');
    expect(current).not.toBe(initial.get('bc-blog'));
    expect(shown.stdout).toContain(`Replies:      ${BLOG_NOTE}`);
    expect(JSON.parse(json.stdout).record.acceptedWithoutRotationId).toMatchObject({
      kinds: ['csr_res', 'crt_ack'],
    });
  });

  it('shows nothing of it for a device that sends its rotationId', async () => {
    // Act
    expect((await run(['rotate', 'bc-healthy'])).code).toBe(EXIT.ok);
    await rotated('bc-healthy');
    const shown = await run(['rotations', 'show', 'bc-healthy']);
    const json = await run(['rotations', 'show', 'bc-healthy', '--json']);

    // Assess
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).not.toContain('without rotationId');
    expect(shown.stdout).not.toContain('Replies:');
    expect(JSON.parse(json.stdout).record).not.toHaveProperty('acceptedWithoutRotationId');
  });
});
