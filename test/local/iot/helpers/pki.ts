/** Test PKI: CSRs, a foreign CA and certificates it signs, built with @peculiar/x509. */
import {
  type CryptoKey,
  type CryptoKeyPair,
  EC_P256,
  subtle,
  toPem,
  x509,
} from '../../../../local/iot/ca/certificates.ts';

export interface KeyPairPem {
  readonly keys: CryptoKeyPair;
  readonly privateKeyPem: string;
}

export async function newKeys(): Promise<KeyPairPem> {
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  return { keys, privateKeyPem: toPem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

export async function makeCsr(
  commonName: string,
  keys?: KeyPairPem,
): Promise<{ csrPem: string; keys: KeyPairPem }> {
  const pair = keys ?? (await newKeys());
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys: pair.keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return { csrPem: csr.toString('pem'), keys: pair };
}

export interface TestCa {
  readonly pem: string;
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

export async function makeCa(commonName: string, notBefore: number, notAfter: number): Promise<TestCa> {
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}`,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { pem: cert.toString('pem'), cert, privateKey: keys.privateKey };
}

export async function signByCa(
  ca: TestCa,
  commonName: string,
  notBefore: number,
  notAfter: number,
): Promise<{ certificatePem: string; keys: KeyPairPem }> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(commonName).toString('hex').slice(0, 30) || '02',
    subject: `CN=${commonName}`,
    issuer: ca.cert.subjectName,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    publicKey: keys.keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return { certificatePem: cert.toString('pem'), keys };
}

export async function selfSigned(
  commonName: string,
  notBefore: number,
  notAfter: number,
): Promise<{ certificatePem: string; keys: KeyPairPem }> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '03',
    name: `CN=${commonName}`,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys: keys.keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return { certificatePem: cert.toString('pem'), keys };
}
