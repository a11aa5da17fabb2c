import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHandler } from '../../functions/event-triggered/device-reply/handler.ts';
import { functionName } from '../../local/stack/function-wiring.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { executionEnded } from './helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest } from './scenario.ts';

/** Wall time a dying invocation runs before Lambda ends it (its timeout, here shortened). */
const DYING_INVOCATION_MS = 300;
/** The waits' timeouts on the local clock (real time here): the rotations must not need them. */
const CSR_TIMEOUT_SECONDS = 3600;
const ACK_TIMEOUT_SECONDS = 900;

const ReplyEvent = z.object({ clientId: z.string(), kind: z.string() });

class LambdaTimedOut extends Error {
  constructor(ms: number) {
    super(`Task timed out after ${ms / 1000} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/**
 * An SFN client whose calls never come back: the invocation that uses it hangs at SendTask* until
 * Lambda ends it, so nothing after that point of the function runs (as when the process is killed).
 */
function hangingSfn(local: LocalAws): SFNClient {
  const client = new SFNClient({
    endpoint: local.endpoints.stepFunctions,
    region: local.resources.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(() => () => new Promise<never>(() => undefined), { step: 'initialize' });
  return client;
}

/**
 * Replaces the registered device-reply with one whose first invocation per (thing, kind) in `plan`
 * dies after its record write: it runs the real handler over a Step Functions that never answers,
 * and is ended by its timeout. Every other invocation (the rule's retries included) runs as usual.
 */
function killFirstReply(local: LocalAws, plan: ReadonlyMap<string, string>): Set<string> {
  const name = functionName('device-reply');
  const registered = local.functions.resolve(name);
  if (!registered) throw new Error(`${name} is not registered`);
  const dying = createHandler({
    db: local.clients.dynamodb,
    tableName: local.resources.rotationTableName,
    campaignTableName: local.resources.campaignTableName,
    sfn: hangingSfn(local),
    clock: local.clock,
    logLevel: 'SILENT',
  });
  const killed = new Set<string>();
  local.functions.register(
    name,
    async (event: unknown, context: Context) => {
      const reply = ReplyEvent.safeParse(event);
      const key = reply.success ? `${reply.data.clientId}/${reply.data.kind}` : '';
      if (!reply.success || plan.get(reply.data.clientId) !== reply.data.kind || killed.has(key)) {
        return registered.handler(event, context);
      }
      killed.add(key);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LambdaTimedOut(DYING_INVOCATION_MS)), DYING_INVOCATION_MS);
      });
      try {
        return await Promise.race([dying(event, context), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    registered.timeoutSeconds,
  );
  return killed;
}

describe('device-reply killed between its record write and Step Functions hearing the answer', () => {
  const startScenario = scenarioPerTest();

  it("the IoT rule's retry of the reply completes the rotation, long before the wait's timeout", async () => {
    // Prepare: two devices; the first csr_res of one and the first crt_ack of the other reach a
    // device-reply that dies. The rule's retries come after a quarter and half a second.
    const scenario = await startScenario({
      behaviours: ['healthy', 'healthy'],
      prefix: 'reply-crash',
      local: {
        asyncRetryDelaysMs: [250, 500],
        settings: { CsrTimeoutSeconds: CSR_TIMEOUT_SECONDS, AckTimeoutSeconds: ACK_TIMEOUT_SECONDS },
      },
    });
    const { local, devices } = scenario;
    const [csrDevice, ackDevice] = devices;
    if (!csrDevice || !ackDevice) throw new Error('two devices expected');
    const killed = killFirstReply(
      local,
      new Map([
        [csrDevice.thingName, 'csr_res'],
        [ackDevice.thingName, 'crt_ack'],
      ]),
    );
    const started = Date.now();

    // Act
    await runAudit(local);
    const records = [
      await recordWithStatus(local, csrDevice.thingName, ['SUCCEEDED', 'FAILED'], 30_000),
      await recordWithStatus(local, ackDevice.thingName, ['SUCCEEDED', 'FAILED'], 30_000),
    ];
    const elapsedMs = Date.now() - started;

    // Assess: each reply's invocation died once, each rotation succeeded within seconds, and no wait
    // of either execution timed out (the answer came from the retried reply, not a new request).
    expect([...killed].sort()).toEqual(
      [`${csrDevice.thingName}/csr_res`, `${ackDevice.thingName}/crt_ack`].sort(),
    );
    expect(records.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(elapsedMs).toBeLessThan(30_000);
    for (const record of records) {
      // The retire step completes the record as its last write: the execution ends just after.
      const executionArn = String(record.executionArn);
      expect((await executionEnded(local, executionArn)).status).toBe('SUCCEEDED');
      const { events } = await local.clients.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
      );
      const types = (events ?? []).map((e) => e.type);
      expect(types).not.toContain('TaskTimedOut');
      expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(
        types.filter((t) => t === 'TaskSucceeded').length,
      );
    }
  });
});
