import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { type CapturedLine, FunctionLogCapture } from '../../../local/lambda/log-capture.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';

/** Two functions that write to stdout and stderr as a Lambda function does, run by the local Lambda. */
function capturedRegistry(lines: CapturedLine[]) {
  const capture = new FunctionLogCapture((line) => lines.push(line));
  const registry = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const writer = (name: string) => async (event: unknown) => {
    const { steps } = event as { steps: number };
    for (let step = 0; step < steps; step += 1) {
      process.stdout.write(`${JSON.stringify({ level: 'INFO', message: `${name} step ${step}` })}\n`);
      await sleep(1);
    }
    process.stderr.write(`${name} done\n`);
    return name;
  };
  for (const name of ['recert-one', 'recert-two']) registry.register(name, capture.wrap(name, writer(name)));
  return { registry, capture };
}

describe('the local Lambda captures what a function writes, as the runtime sends it to CloudWatch Logs', () => {
  it("tags each line with its own invocation's function and request id, while invocations overlap", async () => {
    // Prepare
    const lines: CapturedLine[] = [];
    const { registry, capture } = capturedRegistry(lines);

    // Act
    await Promise.all([
      registry.invoke('recert-one', { steps: 3 }),
      registry.invoke('recert-two', { steps: 3 }),
      registry.invoke('recert-one', { steps: 2 }),
    ]);
    capture.close();

    // Assess
    const byRequest = new Map<string, CapturedLine[]>();
    for (const line of lines) byRequest.set(line.requestId, [...(byRequest.get(line.requestId) ?? []), line]);
    expect(byRequest.size).toBe(3);
    for (const group of byRequest.values()) {
      const name = group[0]?.functionName ?? '';
      expect(group.every((line) => line.functionName === name)).toBe(true);
      expect(group.every((line) => line.text.includes(name))).toBe(true);
      expect(group.at(-1)).toMatchObject({ stream: 'stderr', text: `${name} done` });
    }
    expect(lines.filter((line) => line.stream === 'stdout')).toHaveLength(8);
  });

  it('leaves what the rest of the process writes alone, and gives the streams back when closed', async () => {
    // Prepare
    const ownWrite = process.stdout.write;
    const lines: CapturedLine[] = [];
    const { registry, capture } = capturedRegistry(lines);

    // Act
    process.stdout.write('not a function line\n');
    await registry.invoke('recert-one', { steps: 1 });
    capture.close();
    await registry.invoke('recert-two', { steps: 1 });

    // Assess
    expect(lines.map((line) => line.text)).toEqual([
      JSON.stringify({ level: 'INFO', message: 'recert-one step 0' }),
      'recert-one done',
    ]);
    expect(process.stdout.write).toBe(ownWrite);
  });
});
