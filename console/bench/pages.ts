/**
 * How long the console's pages take with a large rotation table: a local AWS whose table holds
 * 5,000 rotation records (several statuses, campaigns and errors), the console on it, and each page
 * fetched a few times as a browser would (with the session cookie). Prints the median and worst
 * time of each page, and exits 1 when a page's median passes the one-second goal.
 *
 *   npx tsx console/bench/pages.ts [--records 5000] [--runs 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { localTarget } from '../../cli/index.ts';
import { launchLocalAws } from '../../local/index.ts';
import { startConsole } from '../server.ts';

const GOAL_MS = 1000;
const STATUSES = [
  'SUCCEEDED',
  'SUCCEEDED',
  'SUCCEEDED',
  'FAILED',
  'IN_PROGRESS',
  'TIMED_OUT',
  'ABANDONED',
] as const;
const ERRORS = [
  'States.Timeout: The task ran longer than its TimeoutSeconds',
  'DeviceCertificateError: {"errorType":"DeviceCertificateError","errorMessage":"the device refused the certificate"}',
  'CsrRejected: weak key (RSA 1024)',
];

const { values } = parseArgs({ options: { records: { type: 'string' }, runs: { type: 'string' } } });
const records = Number(values.records ?? 5000);
const runs = Number(values.runs ?? 5);

function record(i: number, stateMachineArn: string, now: number): Record<string, unknown> {
  const status = STATUSES[i % STATUSES.length] ?? 'SUCCEEDED';
  const at = new Date(now - i * 1000).toISOString();
  const failed = status === 'FAILED' || status === 'TIMED_OUT';
  return {
    thingName: `bench-${String(i).padStart(5, '0')}`,
    status,
    phase: status === 'SUCCEEDED' ? 'DONE' : 'AWAITING_CSR',
    executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:bench-${i}`,
    oldCertificateId: i.toString(16).padStart(64, '0'),
    campaign: `audit-${(i % 4).toString(16).padStart(32, 'a')}`,
    attempt: 1,
    startedAt: at,
    statusSince: at,
    updatedAt: at,
    ...(failed ? { lastError: ERRORS[i % ERRORS.length], taskToken: `token-${i}` } : {}),
  };
}

async function timed(url: string, cookie: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - start;
}

const dir = await mkdtemp(join(tmpdir(), 'recert-console-bench-'));
const local = await launchLocalAws({
  stateDir: dir,
  ports: { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 },
});
let failedPages = 0;
try {
  const now = Date.now();
  const items = Array.from({ length: records }, (_, i) => record(i, local.resources.stateMachineArn, now));
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    let unprocessed: Record<string, unknown>[] | undefined = batch;
    while (unprocessed && unprocessed.length > 0) {
      const out = await local.clients.documents.send(
        new BatchWriteCommand({
          RequestItems: { [local.resources.rotationTableName]: unprocessed as never },
        }),
      );
      unprocessed = out.UnprocessedItems?.[local.resources.rotationTableName] as
        | Record<string, unknown>[]
        | undefined;
    }
  }
  const target = await localTarget(dir);
  const running = await startConsole({ target });
  const cookie = `recert_console=${running.session.token}`;
  const firstPage = await fetch(`${running.origin}/rotations?status=SUCCEEDED`, { headers: { cookie } });
  const cursor = /cursor=([\w-]+)/.exec(await firstPage.text())?.[1];
  const pages: Array<[string, string]> = [
    ['overview', '/'],
    ['rotations FAILED, first page', '/rotations?status=FAILED'],
    ['rotations SUCCEEDED, second page', `/rotations?status=SUCCEEDED&cursor=${cursor ?? ''}`],
    ['one rotation', '/rotations/bench-00003'],
  ];
  console.log(`${records} rotation records; ${runs} fetches of each page after one warm-up`);
  for (const [name, path] of pages) {
    await timed(`${running.origin}${path}`, cookie);
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) times.push(await timed(`${running.origin}${path}`, cookie));
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    const worst = times[times.length - 1] ?? 0;
    if (median > GOAL_MS) failedPages += 1;
    console.log(
      `${name.padEnd(34)} median ${median.toFixed(0).padStart(5)} ms   worst ${worst.toFixed(0).padStart(5)} ms${median > GOAL_MS ? '   OVER 1 s' : ''}`,
    );
  }
  await running.close();
  target.close();
} finally {
  await local.close();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failedPages > 0 ? 1 : 0;
