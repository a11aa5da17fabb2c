/**
 * The ACM PCA client is the one SDK client recert pins to an older release (its newest), with an
 * older retry middleware than the others. With recert's retry strategy every one of its calls failed
 * with a TypeError before anything was sent. A loopback server stands in for ACM PCA here and
 * answers with ACM PCA's own ThrottlingException first, so the call must go out and be retried.
 */
import { createServer, type Server } from 'node:http';
import { ACMPCAClient, DescribeCertificateAuthorityCommand } from '@aws-sdk/client-acm-pca';
import { afterEach, describe, expect, it } from 'vitest';
import { awsClientConfig, withoutCallLogging } from '../../lib/aws/client-config.ts';
import { LOCAL_CREDENTIALS } from '../../local/config.ts';

const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Answers each request with the next of `answers`; returns its URL and the targets it was sent. */
async function acmPcaStandIn(answers: { status: number; body: unknown }[]) {
  const targets: string[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      targets.push(String(req.headers['x-amz-target']));
      const answer = answers.shift() ?? { status: 500, body: { __type: 'InternalFailure' } };
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, targets };
}

describe('the ACM PCA client with recert’s client configuration', () => {
  it('sends its calls and retries a throttled one', async () => {
    // Prepare: throttled once, then the CA's description.
    const standIn = await acmPcaStandIn([
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      {
        status: 200,
        body: {
          CertificateAuthority: {
            Arn: CA_ARN,
            CertificateAuthorityConfiguration: {
              KeyAlgorithm: 'EC_prime256v1',
              SigningAlgorithm: 'SHA256WITHECDSA',
            },
          },
        },
      },
    ]);
    const pca = withoutCallLogging(
      new ACMPCAClient({
        ...awsClientConfig({ random: () => 0 }),
        region: 'eu-west-1',
        credentials: LOCAL_CREDENTIALS,
        endpoint: standIn.url,
      }),
    );

    // Act
    const out = await pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: CA_ARN }));
    pca.destroy();

    // Assess
    expect(out.CertificateAuthority?.CertificateAuthorityConfiguration?.KeyAlgorithm).toBe('EC_prime256v1');
    expect(standIn.targets).toEqual([
      'ACMPrivateCA.DescribeCertificateAuthority',
      'ACMPrivateCA.DescribeCertificateAuthority',
    ]);
  });
});
