import 'reflect-metadata';
import { createHash, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { generatePrivateKeyPem, importKeyPair } from '../../../device/agent/crypto.ts';

/**
 * A throw-away PKI for the device tests: one CA that signs the broker's server certificate and the
 * device certificates, like AWS IoT's own issuing CA does for certificates made from CSRs.
 */

x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface IssuedPair {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly certificateId: string;
}

export class TestPki {
  private constructor(
    readonly caCertificatePem: string,
    private readonly caKey: webcrypto.CryptoKey,
    private readonly caName: string,
  ) {}

  static async create(name = 'recert test CA'): Promise<TestPki> {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name}`,
      keys,
      signingAlgorithm: SIGN,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 86_400_000),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new TestPki(certificate.toString('pem'), keys.privateKey, `CN=${name}`);
  }

  /** Signs a certificate for an arbitrary public key (SPKI DER or a CSR's key). */
  async issue(
    publicKey: webcrypto.CryptoKey | x509.PublicKey,
    subject: string,
    options: { notBefore?: Date; notAfter?: Date; server?: boolean } = {},
  ): Promise<string> {
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.create({
      subject,
      issuer: this.caName,
      publicKey,
      signingKey: this.caKey,
      signingAlgorithm: SIGN,
      notBefore: options.notBefore ?? new Date(now - 60_000),
      notAfter: options.notAfter ?? new Date(now + 30 * 86_400_000),
      extensions: options.server
        ? [
            new x509.SubjectAlternativeNameExtension([
              { type: 'ip', value: '127.0.0.1' },
              { type: 'dns', value: 'localhost' },
            ]),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          ]
        : [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    return certificate.toString('pem');
  }

  /** A new device key and a certificate for it. */
  async issueDevice(
    thingName: string,
    options: { notBefore?: Date; notAfter?: Date } = {},
  ): Promise<IssuedPair> {
    const privateKeyPem = await generatePrivateKeyPem('ec-p256');
    const { keys } = await importKeyPair(privateKeyPem);
    const certificatePem = await this.issue(keys.publicKey, `CN=${thingName}`, options);
    return { certificatePem, privateKeyPem, certificateId: certificateIdOfPem(certificatePem) };
  }

  async issueServer(): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const privateKeyPem = await generatePrivateKeyPem('ec-p256');
    const { keys } = await importKeyPair(privateKeyPem);
    const certificatePem = await this.issue(keys.publicKey, 'CN=localhost', { server: true });
    return { certificatePem, privateKeyPem };
  }

  /** Signs a CSR after checking its signature, as IoT's CreateCertificateFromCsr does. */
  async signCsr(csrPem: string): Promise<{ certificatePem: string; certificateId: string; subject: string }> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error('CSR signature does not verify');
    const certificatePem = await this.issue(csr.publicKey, csr.subject);
    return { certificatePem, certificateId: certificateIdOfPem(certificatePem), subject: csr.subject };
  }
}

export function certificateIdOfPem(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

/** Facts about a CSR the tests assert on. */
export async function describeCsr(csrPem: string): Promise<{
  subject: string;
  algorithm: string;
  modulusBits?: number;
  namedCurve?: string;
  publicKeyDer: Buffer;
  verifies: boolean;
}> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const spki = Buffer.from(csr.publicKey.rawData);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  return {
    subject: csr.subject,
    algorithm: key.asymmetricKeyType ?? 'unknown',
    ...(details.modulusLength !== undefined ? { modulusBits: details.modulusLength } : {}),
    ...(details.namedCurve !== undefined ? { namedCurve: details.namedCurve } : {}),
    publicKeyDer: spki,
    verifies: await csr.verify(),
  };
}
