import {
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeThingCommand,
  ThrottlingException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { TokenBucket } from '../../../local/iot/quotas/token-bucket.ts';
import { useCores } from './helpers/core.ts';

const startCore = useCores();

describe('AWS IoT API quotas', () => {
  it('throttles UpdateCertificate above 10 TPS with ThrottlingException and recovers as the clock moves', async () => {
    // Prepare
    const t = await startCore({ quotas: true });
    const cert = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateId = cert.certificateId ?? '';
    const update = (i: number) =>
      t.iot.send(
        new UpdateCertificateCommand({ certificateId, newStatus: i % 2 === 0 ? 'INACTIVE' : 'ACTIVE' }),
      );

    // Act
    const results = [];
    for (let i = 0; i < 12; i++)
      results.push(
        await update(i)?.then(
          () => 'ok',
          (e: unknown) => e,
        ),
      );
    await t.clock.advance(1000);
    const afterRefill = await update(12)?.then(() => 'ok');

    // Assess
    expect(results.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(results[10]).toBeInstanceOf(ThrottlingException);
    expect(results[11]).toBeInstanceOf(ThrottlingException);
    expect(afterRefill).toBe('ok');
  });

  it('takes overrides and leaves quotas off by default', async () => {
    // Prepare
    const t = await startCore({ quotas: { DescribeThing: 2 } });
    const unlimited = await startCore();
    await t.iot.send(new CreateThingCommand({ thingName: 'x' }));
    await unlimited.iot.send(new CreateThingCommand({ thingName: 'x' }));

    // Act
    const limited = await Promise.allSettled(
      [1, 2, 3].map(() => t.iot.send(new DescribeThingCommand({ thingName: 'x' }))),
    );
    const free = await Promise.allSettled(
      Array.from({ length: 50 }, () => unlimited.iot.send(new DescribeThingCommand({ thingName: 'x' }))),
    );

    // Assess
    expect(limited.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(free.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('refills a token bucket in proportion to elapsed clock time, never above capacity', async () => {
    // Prepare
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 15);

    // Act
    const burst = Array.from({ length: 20 }, () => bucket.tryTake()).filter(Boolean).length;
    await clock.advance(200);
    const afterFifth = Array.from({ length: 5 }, () => bucket.tryTake()).filter(Boolean).length;
    await clock.advance(60_000);
    const afterMinute = Array.from({ length: 20 }, () => bucket.tryTake()).filter(Boolean).length;

    // Assess
    expect(burst).toBe(15);
    expect(afterFifth).toBe(3);
    expect(afterMinute).toBe(15);
  });
});
