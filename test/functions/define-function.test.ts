import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as onReconnect } from '../../functions/event-triggered/on-reconnect/handler.ts';
import { handler as sweeper } from '../../functions/event-triggered/retired-certificate-sweeper/handler.ts';
import { handler as issueCertificate } from '../../functions/rotation-steps/issue-certificate/handler.ts';
import { handler as requestCsr } from '../../functions/rotation-steps/request-csr/handler.ts';
import { lambdaContext } from './harness.ts';

/**
 * Lambda's entry points read their settings from the environment their contract entry lists: a
 * missing or malformed variable fails the invocation with a ConfigurationError that names it.
 */

afterEach(() => {
  vi.unstubAllEnvs();
});

/** What every rotation function needs: its table and the IoT data endpoint it publishes to. */
const ROTATION_ENV = {
  ROTATION_TABLE_NAME: 'recert-rotations',
  IOT_DATA_ENDPOINT: 'https://example-ats.iot.eu-west-1.amazonaws.com',
};

/** Sets the function's environment variables for this test. */
function stubEnvironment(variables: Record<string, string>): void {
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}

describe('a function on Lambda, configured by its environment', () => {
  it('names the required variable that is not set', async () => {
    // Prepare
    stubEnvironment({ ...ROTATION_ENV, ROTATION_TABLE_NAME: '', CAMPAIGN_TABLE_NAME: 'recert-campaigns' });

    // Act
    const run = requestCsr({}, lambdaContext('request-csr'));

    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'environment variable ROTATION_TABLE_NAME is not set',
    });
  });

  it('names a variable whose value is not of its type, with the value', async () => {
    // Prepare
    stubEnvironment({
      ...ROTATION_ENV,
      CSR_REQUIRE_CN_MATCH: 'maybe',
      CAMPAIGN_TABLE_NAME: 'recert-campaigns',
      SWEEP_DELETES_PER_SECOND: '-1',
    });

    // Act
    const issue = issueCertificate({}, lambdaContext('issue-certificate'));
    const sweep = sweeper({}, lambdaContext('retired-certificate-sweeper'));

    // Assess
    await expect(issue).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'environment variable CSR_REQUIRE_CN_MATCH must be true or false, got "maybe"',
    });
    await expect(sweep).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'environment variable SWEEP_DELETES_PER_SECOND must be a non-negative number, got "-1"',
    });
  });

  it('refuses an issuer outside the ones the contract lists, naming the variable', async () => {
    // Prepare
    stubEnvironment({ ...ROTATION_ENV, CERTIFICATE_ISSUER: 'letsencrypt' });

    // Act
    const run = issueCertificate({}, lambdaContext('issue-certificate'));

    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('CERTIFICATE_ISSUER must be one of aws-iot, acm-pca'),
    });
  });

  it('runs once its variables are set, with the clients it builds from them', async () => {
    // Prepare
    stubEnvironment({ ...ROTATION_ENV, AWS_REGION: 'eu-west-1', POWERTOOLS_LOG_LEVEL: 'SILENT' });

    // Act: an event that is not a lifecycle "connected" one needs no AWS call.
    const outcome = await onReconnect({ eventType: 'disconnected' }, lambdaContext('on-reconnect'));

    // Assess
    expect(outcome).toEqual({ resent: null, why: 'not a connected event' });
  });
});
