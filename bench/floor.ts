/**
 * The floor: the cryptography and TLS one rotation cannot avoid, measured with node:crypto and no recert
 * code; how it is measured is in bench/README.md (The floor).
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, sign, verify, webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { median } from './stats.ts';

x509.cryptoProvider.set(webcrypto);

export interface FloorResult {
  /** Median milliseconds of each step. */
  readonly keyGenerationMs: number;
  readonly csrSignatureMs: number;
  readonly csrVerificationMs: number;
  readonly certificateSignatureMs: number;
  readonly certificateVerificationMs: number;
  readonly mutualTlsHandshakeMs: number;
  /** Key + CSR + verify CSR + sign + verify certificate + 2 handshakes, serially on one core. */
  readonly perRotationMs: number;
  /**
   * The same work as process CPU time (user + system), which other load on the machine inflates
   * less than elapsed time: the crypto steps in a loop, the handshakes with both ends in this process.
   */
  readonly perRotationCpuMs: number;
  readonly mutualTlsHandshakeCpuMs: number;
  readonly samples: { readonly crypto: number; readonly handshakes: number };
  /** With `measureLowestFloor`: the elapsed floor of every round, the one kept among them. */
  readonly roundsPerRotationMs?: readonly number[];
}

/**
 * The floor measured `rounds` times, keeping the round with the lowest elapsed floor: the work itself
 * does not change from round to round, only what else the machine is doing, which can only add to it.
 */
export async function measureLowestFloor(rounds = 3): Promise<FloorResult> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be >= 1, not ${rounds}`);
  const results: FloorResult[] = [];
  for (let r = 0; r < rounds; r += 1) results.push(await measureFloor());
  const lowest = results.reduce((best, next) => (next.perRotationMs < best.perRotationMs ? next : best));
  return { ...lowest, roundsPerRotationMs: results.map((result) => result.perRotationMs) };
}

/** A CSR's to-be-signed part and a certificate's are a few hundred bytes. */
const TBS_BYTES = 400;

export async function measureFloor(
  options: { cryptoSamples?: number; handshakes?: number } = {},
): Promise<FloorResult> {
  const cryptoSamples = options.cryptoSamples ?? 200;
  const handshakes = options.handshakes ?? 100;
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const times = {
    key: [] as number[],
    csrSign: [] as number[],
    csrVerify: [] as number[],
    certSign: [] as number[],
    certVerify: [] as number[],
  };
  for (let i = 0; i < cryptoSamples; i += 1) {
    const tbs = randomBytes(TBS_BYTES);
    const device = timed(times.key, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const csrSignature = timed(times.csrSign, () => sign('sha256', tbs, device.privateKey));
    if (!timed(times.csrVerify, () => verify('sha256', tbs, device.publicKey, csrSignature)))
      throw new Error('CSR signature did not verify');
    const certSignature = timed(times.certSign, () => sign('sha256', tbs, ca.privateKey));
    if (!timed(times.certVerify, () => verify('sha256', tbs, ca.publicKey, certSignature)))
      throw new Error('certificate signature did not verify');
  }
  const cryptoCpu = process.cpuUsage();
  for (let i = 0; i < cryptoSamples; i += 1) {
    const tbs = randomBytes(TBS_BYTES);
    const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csrSignature = sign('sha256', tbs, device.privateKey);
    verify('sha256', tbs, device.publicKey, csrSignature);
    verify('sha256', tbs, ca.publicKey, sign('sha256', tbs, ca.privateKey));
  }
  const cryptoCpuMs = cpuMs(process.cpuUsage(cryptoCpu)) / cryptoSamples;
  const handshakeCpu = process.cpuUsage();
  const handshakeTimes = await measureHandshakes(handshakes);
  // Both ends of each handshake run in this process: its CPU time is the handshake's whole cost.
  const handshakeCpuMs = cpuMs(process.cpuUsage(handshakeCpu)) / handshakes;
  const step = {
    keyGenerationMs: median(times.key),
    csrSignatureMs: median(times.csrSign),
    csrVerificationMs: median(times.csrVerify),
    certificateSignatureMs: median(times.certSign),
    certificateVerificationMs: median(times.certVerify),
    mutualTlsHandshakeMs: median(handshakeTimes),
  };
  const perRotationMs =
    step.keyGenerationMs +
    step.csrSignatureMs +
    step.csrVerificationMs +
    step.certificateSignatureMs +
    step.certificateVerificationMs +
    2 * step.mutualTlsHandshakeMs;
  return {
    ...roundAll(step),
    perRotationMs: round(perRotationMs),
    perRotationCpuMs: round(cryptoCpuMs + 2 * handshakeCpuMs),
    mutualTlsHandshakeCpuMs: round(handshakeCpuMs),
    samples: { crypto: cryptoSamples, handshakes },
  };
}

/** Full mutual-TLS handshakes against a plain TLS server on loopback, one at a time. */
async function measureHandshakes(count: number): Promise<number[]> {
  const pki = await testPki();
  const server = createServer({
    key: pki.serverKeyPem,
    cert: pki.serverCertPem,
    ca: pki.caCertPem,
    requestCert: true,
    rejectUnauthorized: true,
    noDelay: true,
  });
  server.on('secureConnection', (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the TLS server has no TCP port');
  const { port } = address;
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const t = performance.now();
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        key: pki.clientKeyPem,
        cert: pki.clientCertPem,
        ca: pki.caCertPem,
      });
      await once(socket, 'secureConnect');
      times.push(performance.now() - t);
      socket.destroy();
    }
  } finally {
    server.close();
  }
  return times;
}

interface TestPki {
  caCertPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  clientKeyPem: string;
  clientCertPem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

async function testPki(): Promise<TestPki> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=floor CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leaf = async (serialNumber: string, cn: string, server: boolean) => {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: server
        ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }])]
        : [],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
  };
  const serverPair = await leaf('02', 'localhost', true);
  const clientPair = await leaf('03', 'device', false);
  return {
    caCertPem: ca.toString('pem'),
    serverKeyPem: serverPair.keyPem,
    serverCertPem: serverPair.certPem,
    clientKeyPem: clientPair.keyPem,
    clientCertPem: clientPair.certPem,
  };
}

/** Runs `step`, adding how long it took (in ms) to `samples`. */
function timed<T>(samples: number[], step: () => T): T {
  const start = performance.now();
  const value = step();
  samples.push(performance.now() - start);
  return value;
}

const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function roundAll<T extends Record<string, number>>(values: T): T {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) out[key] = round(value);
  return { ...values, ...out };
}
