import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LocalAcmPcaServer } from '../../../local/acmpca/acmpca-server.ts';
import { LocalPrivateCa } from '../../../local/acmpca/private-ca.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { useStarted } from '../started.ts';
import { deniedMessage, recordingCheck, rejectionOf } from './recording-check.ts';

/** The local ACM PCA server (awsJson1_1) asking an access check before each operation. */
const CSR = readFileSync(new URL('../../fixtures/csr/ok-ec-p256.csr.pem', import.meta.url), 'utf8');

/** A local ACM PCA server behind a recording access check, in a fresh state directory. */
async function startServer() {
  const stateDir = mkdtempSync(join(tmpdir(), 'recert-pca-access-'));
  const ca = await LocalPrivateCa.openOrCreate(
    join(stateDir, 'acm-pca'),
    new ManualClock(Date.UTC(2026, 11, 5)),
    {
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      pollsBeforeReady: 0,
    },
  );
  const access = recordingCheck();
  const server = new LocalAcmPcaServer(ca, { accessCheck: access.check });
  const endpoint = await server.start();
  const pca = new ACMPCAClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    ca,
    access,
    endpoint,
    pca,
    async close() {
      pca.destroy();
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const t = useStarted(startServer);

const issue = (signingAlgorithm = 'SHA256WITHECDSA') =>
  new IssueCertificateCommand({
    CertificateAuthorityArn: t.ca.arn,
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
      message: deniedMessage('acm-pca:IssueCertificate', t.ca.arn),
    };
    t.access.refuse('IssueCertificate', failure);

    // Act
    const error = await rejectionOf(t.pca.send(issue()));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(failure.message);
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    const [call] = t.access.callsFor('IssueCertificate');
    expect(call?.input).toEqual({
      CertificateAuthorityArn: t.ca.arn,
      Csr: Buffer.from(CSR).toString('base64'),
      SigningAlgorithm: 'SHA256WITHECDSA',
      Validity: { Type: 'DAYS', Value: 30 },
      IdempotencyToken: 'attempt-1',
    });
    expect(call?.request.headers['x-amz-target']).toBe('ACMPrivateCA.IssueCertificate');
    expect(t.ca.callCounts().IssueCertificate).toBeUndefined();
  });

  it('lets the operations it does not refuse run', async () => {
    // Prepare
    t.access.refuse('GetCertificate', { code: 'AccessDeniedException', status: 400, message: 'denied' });

    // Act
    const described = await t.pca.send(
      new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: t.ca.arn }),
    );
    const issued = await t.pca.send(issue());

    // Assess
    expect(described.CertificateAuthority?.Arn).toBe(t.ca.arn);
    expect(issued.CertificateArn).toMatch(/\/certificate\/[0-9a-f]+$/);
    expect(t.access.calls.map((call) => call.operation)).toEqual([
      'DescribeCertificateAuthority',
      'IssueCertificate',
    ]);
  });

  it('refuses before the operation validates its input', async () => {
    // Prepare
    t.access.refuse('IssueCertificate', { code: 'AccessDeniedException', status: 400, message: 'no' });

    // Act: an algorithm the CA's key cannot sign with would be InvalidArgsException.
    const error = await rejectionOf(t.pca.send(issue('SHA256WITHRSA')));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
  });

  it('leaves a body that is not JSON to the operation, which refuses it without asking', async () => {
    // Act
    const response = await fetch(t.endpoint, {
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
    expect(t.access.calls).toEqual([]);
  });
});
