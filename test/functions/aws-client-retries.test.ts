/**
 * The retry config on real SDK clients against the real local IoT with a tiny API quota: a burst
 * over the quota all succeeds, and a counting proxy in front of the server sees the throttled attempts.
 * The quota refills on a manual clock, moved only when the server throttles: the same outcome
 * however fast or busy the machine is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeysAndCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../device/fleet/seeded-random.ts';
import { awsClientConfig, LAMBDA_RETRY_POLICY } from '../../lib/aws/client-config.ts';
import { ManualClock } from '../../lib/clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/config.ts';
import { LocalIotCore } from '../../local/iot/iot-core.ts';
import { destroyClients, localClients } from '../../local/stack/clients.ts';

/** A loopback HTTP proxy that counts the answers it relays, by status code. */
interface CountingProxy {
  readonly url: string;
  readonly statuses: number[];
  close(): Promise<void>;
}

/** `onThrottled` runs before a 429 is relayed, so before the client can retry it. */
async function countingProxy(target: string, onThrottled: () => void): Promise<CountingProxy> {
  const upstream = new URL(target);
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        statuses.push(answer.statusCode ?? 0);
        if (answer.statusCode === 429) onThrottled();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const QUOTA_TPS = 10;
const BURST = 16;

describe('AWS clients retry throttling against the local IoT', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function throttledIot(
    refillOnThrottle = true,
  ): Promise<{ proxy: CountingProxy; certificateId: string }> {
    const stateDir = mkdtempSync(join(tmpdir(), 'recert-retries-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    // The bucket refills only when a throttle is relayed: a full second, so every call that was
    // throttled finds a token on its retry, whatever the wall time between attempts.
    const clock = new ManualClock();
    const core = new LocalIotCore({
      stateDir,
      clock,
      generatedKeyKind: 'ec-p256',
      quotas: { UpdateCertificate: QUOTA_TPS },
    });
    const endpoints = await core.start({ httpPort: 0, mqttPort: 0, host: '127.0.0.1' });
    cleanups.push(() => core.close());
    const proxy = await countingProxy(endpoints.http, () => {
      if (refillOnThrottle) void clock.advance(1_000);
    });
    cleanups.push(() => proxy.close());
    const setup = new IoTClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: endpoints.http,
    });
    const cert = await setup.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    setup.destroy();
    return { proxy, certificateId: cert.certificateId ?? '' };
  }

  const burstOf = (iot: IoTClient, certificateId: string) =>
    Promise.allSettled(
      Array.from({ length: BURST }, (_, i) =>
        iot.send(
          new UpdateCertificateCommand({ certificateId, newStatus: i % 2 === 0 ? 'INACTIVE' : 'ACTIVE' }),
        ),
      ),
    );

  it('gets a burst over the quota through with the Lambda config: every call succeeds after retries', async () => {
    // Prepare
    const { proxy, certificateId } = await throttledIot();
    const iot = new IoTClient({
      // Seeded jitter: real spread, the same every run.
      ...awsClientConfig({ policy: LAMBDA_RETRY_POLICY, random: seededRandom(7) }),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: proxy.url,
    });
    cleanups.push(() => iot.destroy());

    // Act
    const results = await burstOf(iot, certificateId);

    // Assess: no ThrottlingException reached the caller; the server throttled, and the attempts the
    // SDK reports add up to what the server answered.
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toEqual([]);
    const throttledAnswers = proxy.statuses.filter((s) => s === 429).length;
    expect(throttledAnswers).toBeGreaterThan(0);
    expect(proxy.statuses.filter((s) => s === 200)).toHaveLength(BURST);
    const attempts = results.map((r) => (r.status === 'fulfilled' ? (r.value.$metadata.attempts ?? 1) : 0));
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(BURST + throttledAnswers);
    expect(Math.max(...attempts)).toBeLessThanOrEqual(LAMBDA_RETRY_POLICY.maxAttempts);
  });

  it('retries with the local stack clients the functions use', async () => {
    // Prepare
    const { proxy, certificateId } = await throttledIot();
    const clients = localClients(
      {
        stepFunctions: proxy.url,
        iot: proxy.url,
        iotData: proxy.url,
        dynamodb: proxy.url,
        sns: proxy.url,
        eventBridge: proxy.url,
        mqtt: { host: '127.0.0.1', port: 0 },
        rootCaPath: '',
      },
      LOCAL_REGION,
    );
    cleanups.push(() => destroyClients(clients));

    // Act
    const results = await burstOf(clients.iot, certificateId);

    // Assess
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(proxy.statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });

  it('lets the throttle through to the caller without retries (what the config prevents)', async () => {
    // Prepare
    const { proxy, certificateId } = await throttledIot(false);
    const iot = new IoTClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: proxy.url,
      maxAttempts: 1,
    });
    cleanups.push(() => iot.destroy());

    // Act
    const results = await burstOf(iot, certificateId);

    // Assess
    const names = results.flatMap((r) =>
      r.status === 'rejected' && r.reason instanceof Error ? [r.reason.name] : [],
    );
    // The clock never moves: the bucket's quota of calls pass, and every call over it is refused.
    expect(names).toHaveLength(BURST - QUOTA_TPS);
    expect(new Set(names)).toEqual(new Set(['ThrottlingException']));
  });
});
