/**
 * The cheapest AWS call the design makes: a warm SFN client's SendTaskSuccess to a loopback server that
 * answers `{}`, both ends in this process, so the CPU is that of both ends of the call.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { lambdaClientConfig } from '../lib/aws/client-config.ts';
import { median } from './stats.ts';

export interface SdkCallResult {
  /** Median over the rounds of the process CPU (user + system) per call, microseconds. */
  readonly cpuMicrosPerCall: number;
  /** Median elapsed time per call with ten in flight, microseconds. */
  readonly wallMicrosPerCall: number;
  readonly calls: number;
}

export async function measureSdkCall(
  options: { calls?: number; rounds?: number } = {},
): Promise<SdkCallResult> {
  const calls = options.calls ?? 2_000;
  const rounds = options.rounds ?? 3;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const sfn = new SFNClient({
    ...lambdaClientConfig(),
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const output = JSON.stringify({ csr: 'x'.repeat(600) });
  const run = async (n: number): Promise<{ cpu: number; wall: number }> => {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let i = lane; i < n; i += 10) {
          await sfn.send(new SendTaskSuccessCommand({ taskToken: `token-${i}`, output }));
        }
      }),
    );
    const cpu = process.cpuUsage(cpuBefore);
    return { cpu: (cpu.user + cpu.system) / n, wall: ((performance.now() - started) * 1000) / n };
  };
  try {
    await run(Math.min(500, calls)); // warm-up: JIT, sockets, the signing key
    const measured = [];
    for (let r = 0; r < rounds; r += 1) measured.push(await run(calls));
    return {
      cpuMicrosPerCall: Math.round(median(measured.map((m) => m.cpu))),
      wallMicrosPerCall: Math.round(median(measured.map((m) => m.wall))),
      calls,
    };
  } finally {
    sfn.destroy();
    server.close();
  }
}
