import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT } from '../../cli/exit-codes.ts';
import { runCli } from '../../cli/main.ts';
import { createCsrPem, generatePrivateKeyPem } from '../../device/agent/crypto.ts';
import { functionLogPaths } from '../../local/lambda/function-log-format.ts';
import type { LocalAws } from '../../local/stack/local-aws.ts';
import { CertificateResponse, CsrRequest, topicFor } from '../../workflows/rotate-device/protocol.ts';
import { eventually, rotationRecord, startLocal, stopLocal } from '../e2e/helpers.ts';
import { connectDevice, end, subscribe } from '../local/iot/helpers/mqtt.ts';
import { type CliRun, runIn, untilManifestIo } from './helpers/local-aws.ts';
import { pemBody } from './helpers/pem-body.ts';

const DAY = 86_400_000;
const THING = 'logs-device';

/** What the device saw of its rotation: the secrets that must never be printed, and the reply dropped. */
interface Seen {
  taskToken?: string;
  certificatePem?: string;
  strayRotationId?: string;
}

/**
 * A device that first answers csr_req with a wrong rotationId (which device-reply drops), then
 * correctly, and proves its new certificate: real MQTT over mutual TLS against the local broker.
 */
async function startDevice(local: LocalAws, seen: Seen): Promise<MqttClient[]> {
  const identity = await local.iot.provisionDevice({
    thingName: THING,
    validity: { notAfter: local.clock.now() + 200 * DAY },
  });
  const clients: MqttClient[] = [];
  const old = await connectDevice(local.iot, identity, { clientId: THING });
  clients.push(old);
  await subscribe(old, `management/topic/${THING}/+`);
  let keyPem: string | undefined;
  old.on('message', (topic, payload) => {
    void (async () => {
      if (topic === topicFor(THING, 'csr_req')) {
        const { rotationId } = CsrRequest.parse(JSON.parse(payload.toString()));
        const record = await rotationRecord(local, THING);
        if (typeof record?.taskToken === 'string') seen.taskToken = record.taskToken;
        keyPem = await generatePrivateKeyPem('ec-p256');
        const CSR = await createCsrPem(keyPem, THING);
        seen.strayRotationId = randomUUID();
        const csrTopic = topicFor(THING, 'csr_res');
        await old.publishAsync(csrTopic, JSON.stringify({ rotationId: seen.strayRotationId, CSR }), {
          qos: 1,
        });
        await old.publishAsync(csrTopic, JSON.stringify({ rotationId, CSR }), { qos: 1 });
      } else if (topic === topicFor(THING, 'crt_res') && keyPem) {
        const response = CertificateResponse.parse(JSON.parse(payload.toString()));
        seen.certificatePem = response.certificatePem;
        const proven = await connectDevice(
          local.iot,
          { certificatePem: response.certificatePem, privateKeyPem: keyPem },
          { clientId: THING },
        );
        clients.push(proven);
        const ack = JSON.stringify({ rotationId: response.rotationId });
        await proven.publishAsync(topicFor(THING, 'crt_ack'), ack, { qos: 1 });
      }
    })();
  });
  return clients;
}

describe('recert logs: the functions logs of "recert local up --log-level info"', () => {
  let env: { local: LocalAws; dir: string } | undefined;
  let clients: MqttClient[] = [];
  const seen: Seen = {};
  const run = (argv: string[]): Promise<CliRun> => {
    if (!env) throw new Error('no local AWS');
    return runIn(argv, { RECERT_LOCAL: '1', RECERT_STATE_DIR: env.dir }, env.dir);
  };

  beforeAll(async () => {
    // Prepare: the local AWS as local up runs it (functions on a worker thread), logs kept; one rotation.
    env = await startLocal({ functionLogLevel: 'INFO', functionLogFile: {}, functionWorkers: 1 });
    const { local } = env;
    clients = await startDevice(local, seen);
    expect((await run(['rotate', THING])).code).toBe(EXIT.ok);
    await eventually(
      `${THING} rotated`,
      async () => ((await rotationRecord(local, THING))?.status === 'SUCCEEDED' ? true : undefined),
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await end(...clients);
    await stopLocal(env);
  });

  it("keeps the rotation's function logs in the state directory, tagged with function and thing", async () => {
    // Act
    const lines = await eventually('the log file written', async () => {
      if (!env) throw new Error('no local AWS');
      const text = await readFile(functionLogPaths(env.dir).current, 'utf8').catch(() => '');
      return text.includes('csr_req sent') && text.includes('device reply accepted') ? text : undefined;
    });

    // Assess
    const records = lines
      .trim()
      .split('\n')
      .map((line) =>
        z
          .object({ functionName: z.string(), record: z.record(z.string(), z.unknown()).optional() })
          .parse(JSON.parse(line)),
      );
    const ofThing = records.filter((line) => line.record?.thingName === THING);
    expect([...new Set(ofThing.map((line) => line.functionName))]).toEqual(
      expect.arrayContaining(['recert-request-csr', 'recert-device-reply', 'recert-issue-certificate']),
    );
    expect(seen.taskToken).toBeDefined();
    expect(lines).not.toContain(seen.taskToken);
    expect(lines).not.toContain(pemBody(seen.certificatePem ?? '-----BEGIN'));
  });

  it("shows the thing's lines, with the reason a reply was dropped, and never a task token or PEM", async () => {
    // Act
    const table = await run(['logs', '--thing', THING]);
    const json = await run(['logs', '--thing', THING, '--output', 'json']);

    // Assess
    expect(table.code).toBe(EXIT.ok);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+LEVEL\s+FUNCTION\s+THING\s+MESSAGE$/);
    expect(table.stdout).toMatch(
      /WARN\s+device-reply\s+logs-device\s+device reply rejected\s+.*reason=stale-rotation/,
    );
    expect(table.stdout).toContain(`reply for rotation ${seen.strayRotationId}`);
    const entries = json.stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.every((entry) => entry.thingName === THING)).toBe(true);
    expect(entries).toContainEqual(
      expect.objectContaining({
        functionName: 'recert-device-reply',
        level: 'WARN',
        message: 'device reply rejected',
        reason: 'stale-rotation',
        detail: `reply for rotation ${seen.strayRotationId}`,
      }),
    );
    for (const output of [table.stdout, json.stdout]) {
      expect(output).not.toContain(seen.taskToken);
      expect(output).not.toContain(pemBody(seen.certificatePem ?? '-----BEGIN'));
      expect(output).not.toContain('-----BEGIN');
    }
  });

  it('narrows to a function, a level and a rotation', async () => {
    // Prepare
    const record = await rotationRecord(env?.local as LocalAws, THING);
    const rotationId = String(record?.rotationId);

    // Act
    const warnings = await run(['logs', '--function', 'device-reply', '--level', 'warn', '--json']);
    const ofRotation = await run(['logs', '--rotation', rotationId, '--json']);
    const everything = await run(['logs', '--json']);

    // Assess
    const parsed = (run: CliRun) =>
      run.stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed(warnings).map((e) => [e.functionName, e.level])).toContainEqual([
      'recert-device-reply',
      'WARN',
    ]);
    expect(
      parsed(warnings).every((e) => e.functionName === 'recert-device-reply' && e.level !== 'INFO'),
    ).toBe(true);
    expect(parsed(ofRotation).map((e) => e.message)).toEqual(
      expect.arrayContaining(['csr_req sent', 'device reply accepted']),
    );
    expect(parsed(ofRotation).every((e) => e.rotationId === rotationId)).toBe(true);
    // The functions' metrics (EMF lines, for CloudWatch Metrics) are in the file but not shown.
    expect(parsed(everything).length).toBeGreaterThan(parsed(ofRotation).length);
    expect(parsed(everything).filter((e) => '_aws' in e || e.message === '')).toEqual([]);
  });
});

describe('recert local up --log-level', () => {
  it('starts the local AWS keeping the function logs, which recert logs then reads', async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), 'recert-logs-up-'));
    const out: string[] = [];

    // Act
    const code = await runCli(
      ['local', 'up', '--any-ports', '--state-dir', stateDir, '--log-level', 'info'],
      untilManifestIo(out, stateDir),
    );
    const logs = await runIn(['logs', '--local', '--state-dir', stateDir], {}, stateDir);
    await rm(stateDir, { recursive: true, force: true });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(out.join('\n')).toContain(
      `Function logs   ${functionLogPaths(stateDir).current}  (info; "recert logs --local")`,
    );
    expect(logs.code).toBe(EXIT.ok);
    expect(logs.stdout).toMatch(/^TIME\s+LEVEL\s+FUNCTION\s+THING\s+MESSAGE/);
  }, 120_000);
});
