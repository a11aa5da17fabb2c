import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LocalAcmPcaServer } from '../../../local/acmpca/acmpca-server.ts';
import { LocalPrivateCa } from '../../../local/acmpca/private-ca.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { deniedMessage, type RecordingCheck, recordingCheck, rejectionOf } from './recording-check.ts';

/** The local ACM PCA server (awsJson1_1) asking an access check before each operation. */
const CSR = readFileSync(new URL('../../fixtures/csr/ok-ec-p256.csr.pem', import.meta.url), 'utf8');
let stateDir: string;
let ca: LocalPrivateCa;
let server: LocalAcmPcaServer;
let access: RecordingCheck;
let endpoint: string;
let pca: ACMPCAClient;

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'recert-pca-access-'));
  ca = await LocalPrivateCa.openOrCreate(join(stateDir, 'acm-pca'), new ManualClock(Date.UTC(2026, 11, 5)), {
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    pollsBeforeReady: 0,
  });
  access = recordingCheck();
  server = new LocalAcmPcaServer(ca, { accessCheck: access.check });
  endpoint = await server.start();
  pca = new ACMPCAClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
});

afterEach(async () => {
  pca.destroy();
  await server.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const issue = (signingAlgorithm = 'SHA256WITHECDSA') =>
  new IssueCertificateCommand({
    CertificateAuthorityArn: ca.arn,
    Csr: new TextEncoder().encode(CSR),
    SigningAlgorithm: signingAlgorithm as 'SHA256WITHECDSA',
    Validity: { Type: 'DAYS', Value: 30 },
    IdempotencyToken: 'attempt-1',
  });

describe('the ACM PCA server with an access check', () => {
  it('answers a refused IssueCertificate as ACM PCA does, and issues nothing', async () => {
    // Prepare
    const failure = {
      code: 'AccessDeniedException',
      status: 400,
      message: deniedMessage('acm-pca:IssueCertificate', ca.arn),
    };
    access.refuse('IssueCertificate', failure);

    // Act
    const error = await rejectionOf(pca.send(issue()));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    const [call] = access.callsFor('IssueCertificate');
    expect(call?.input).toEqual({
      CertificateAuthorityArn: ca.arn,
      Csr: Buffer.from(CSR).toString('base64'),
      SigningAlgorithm: 'SHA256WITHECDSA',
      Validity: { Type: 'DAYS', Value: 30 },
      IdempotencyToken: 'attempt-1',
    });
    expect(call?.request.headers['x-amz-target']).toBe('ACMPrivateCA.IssueCertificate');
    expect(ca.callCounts().IssueCertificate).toBeUndefined();
  });

  it('lets the operations it does not refuse run', async () => {
    // Prepare
    access.refuse('GetCertificate', { code: 'AccessDeniedException', status: 400, message: 'denied' });

    // Act
    const described = await pca.send(
      new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca.arn }),
    );
    const issued = await pca.send(issue());

    // Assess
    expect(described.CertificateAuthority?.Arn).toBe(ca.arn);
    expect(issued.CertificateArn).toMatch(/\/certificate\/[0-9a-f]+$/);
    expect(access.calls.map((call) => call.operation)).toEqual([
      'DescribeCertificateAuthority',
      'IssueCertificate',
    ]);
  });

  it('refuses before the operation validates its input', async () => {
    // Prepare
    access.refuse('IssueCertificate', { code: 'AccessDeniedException', status: 400, message: 'no' });

    // Act: an algorithm the CA's key cannot sign with would be InvalidArgsException.
    const error = await rejectionOf(pca.send(issue('SHA256WITHRSA')));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
  });

  it('leaves a body that is not JSON to the operation, which refuses it without asking', async () => {
    // Act
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'ACMPrivateCA.IssueCertificate',
      },
      body: '{not json',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
    expect(access.calls).toEqual([]);
  });
});
