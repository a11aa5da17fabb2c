/**
 * CPU per call of a rotation's two CSR paths, the working tree against a baseline revision (bench/README.md,
 * Micro-benchmarks). `npx tsx bench/csr-parse.ts [--rounds 15] [--calls 200] [--baseline <rev>]`
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createCsrDer, toPem } from '../device/agent/csr.ts';
import { ManualClock } from '../lib/clock.ts';
import { median } from './stats.ts';

// The last revision whose CSR paths went through @peculiar/x509 and WebCrypto.
const DEFAULT_BASELINE = '1724d80a91c5c94c49f10df82d0c2be7d4a8f3b6';
const THING = 'bench-thing-0001';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    calls: { type: 'string', default: '200' },
    baseline: { type: 'string', default: DEFAULT_BASELINE },
  },
});
const rounds = z.coerce.number().int().min(1).max(200).parse(values.rounds);
const calls = z.coerce.number().int().min(1).max(10_000).parse(values.calls);

const repo = resolve(new URL('..', import.meta.url).pathname);

/** A tree holding `rev`'s functions/, workflows/ and local/, importable like the working tree. */
function extractBaseline(rev: string, into: string): string {
  const root = join(into, 'baseline');
  mkdirSync(root, { recursive: true });
  const archive = join(into, 'baseline.tar');
  execFileSync('git', [
    '-C',
    repo,
    'archive',
    '-o',
    archive,
    rev,
    'functions',
    'workflows',
    'local',
    'package.json',
  ]);
  execFileSync('tar', ['-x', '-f', archive, '-C', root]);
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

interface Variant {
  readonly name: string;
  readonly validate: (pem: string) => Promise<unknown>;
  readonly createFromCsr: (pem: string) => Promise<unknown>;
}

type ValidationModule = typeof import('../functions/rotation-steps/issue-certificate/csr-validation.ts');
type CaModule = typeof import('../local/iot/ca/local-ca.ts');
type RegistryModule = typeof import('../local/iot/registry/iot-registry.ts');

/** Both trees export these modules with the same public interface; only their insides differ. */
async function load(name: string, root: string, stateDir: string): Promise<Variant> {
  const validation: ValidationModule = await import(
    join(root, 'functions/rotation-steps/issue-certificate/csr-validation.ts')
  );
  const caModule: CaModule = await import(join(root, 'local/iot/ca/local-ca.ts'));
  const registryModule: RegistryModule = await import(join(root, 'local/iot/registry/iot-registry.ts'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const ca = await caModule.LocalCertificateAuthority.openOrCreate(join(stateDir, name, 'ca'), clock);
  const registry = new registryModule.IotRegistry({
    dir: join(stateDir, name, 'registry'),
    clock,
    partition: { region: 'us-east-1', accountId: '000000000000' },
    ca: async () => ca,
    issuedValidity: { notAfter: Date.UTC(2049, 11, 31, 23, 59, 59) },
    keyKind: 'ec-p256',
  });
  const oldCertificatePem = readFileSync(join(repo, 'test/fixtures/csr/old-certificate.pem'), 'utf8');
  return {
    name,
    validate: async (pem) => validation.validateCsr(pem, { thingName: THING, oldCertificatePem }),
    createFromCsr: async (pem) => registry.certificates.createFromCsr(pem, { setAsActive: false }),
  };
}

/** CPU microseconds per call of `run` over `calls` sequential calls. */
async function cpuPerCall(run: (pem: string) => Promise<unknown>, pem: string): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) await run(pem);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

function csrOf(privateKey: KeyObject): string {
  return toPem('CERTIFICATE REQUEST', createCsrDer(privateKey, THING));
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'recert-csr-bench-'));
  try {
    const baselineRoot = extractBaseline(values.baseline, scratch);
    const variants = [await load('before', baselineRoot, scratch), await load('after', repo, scratch)];
    const inputs = {
      'EC P-256': csrOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey),
      'RSA 2048': csrOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    };
    const samples = new Map<string, number[]>();
    const record = (key: string, value: number): void => {
      samples.set(key, [...(samples.get(key) ?? []), value]);
    };
    // A warm-up round each, so module loading and JIT stay out of the figures.
    for (const variant of variants) {
      for (const pem of Object.values(inputs)) {
        await variant.validate(pem);
        await variant.createFromCsr(pem);
      }
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        for (const [keyName, pem] of Object.entries(inputs)) {
          record(`validateCsr|${keyName}|${variant.name}`, await cpuPerCall(variant.validate, pem));
          record(`createFromCsr|${keyName}|${variant.name}`, await cpuPerCall(variant.createFromCsr, pem));
        }
      }
    }
    console.log(`CPU per call, median of ${rounds} rounds of ${calls} calls (baseline ${values.baseline})`);
    console.log('path            key        before µs   after µs   saved');
    for (const path of ['validateCsr', 'createFromCsr']) {
      for (const keyName of Object.keys(inputs)) {
        const before = median(samples.get(`${path}|${keyName}|before`) ?? []);
        const after = median(samples.get(`${path}|${keyName}|after`) ?? []);
        console.log(
          `${path.padEnd(15)} ${keyName.padEnd(10)} ${before.toFixed(0).padStart(9)} ${after
            .toFixed(0)
            .padStart(10)}   ${(((before - after) / before) * 100).toFixed(0)}%`,
        );
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
