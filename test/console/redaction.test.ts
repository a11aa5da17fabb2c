import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { eventsTable } from '../../console/pages/events.ts';
import { redactedJson, redactValue } from '../../lib/redact.ts';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAQ-task-token-that-must-never-show';
const PEM =
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVCb2R5\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----';

describe('what no console page shows', () => {
  it('hides task tokens, certificate bodies, keys and credentials in a document, keeping the rest', () => {
    // Prepare
    const document = {
      thingName: 'sensor-1',
      taskToken: TOKEN,
      payload: { certificatePem: PEM, note: `key follows ${KEY}` },
      credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'hush' },
    };

    // Act
    const shown = JSON.stringify(redactValue(document));

    // Assess
    for (const secret of [TOKEN, 'Q2VydGlmaWNhdGVCb2R5', 'MIGHAgEAMBMGByqGSM49', 'hush', 'AKIA1']) {
      expect(shown).not.toContain(secret);
    }
    expect(shown).toContain('sensor-1');
    expect(shown).toContain('taskToken hidden');
    expect(shown).toContain('private key hidden');
  });

  it('hides them inside JSON carried as a string (an event input), and in text that is not JSON', () => {
    // Act
    const nested = redactedJson(JSON.stringify({ Payload: JSON.stringify({ token: TOKEN, thing: 't-1' }) }));
    const text = redactedJson(`not json ${PEM}`);

    // Assess
    expect(nested).not.toContain(TOKEN);
    expect(nested).toContain('t-1');
    expect(text).not.toContain('Q2VydGlmaWNhdGVCb2R5');
    expect(text).toContain('certificate hidden');
  });

  it('renders an execution history without the secrets its events carry', () => {
    // Prepare
    const events: HistoryEvent[] = [
      {
        id: 1,
        type: 'TaskScheduled',
        timestamp: new Date('2026-01-01T00:00:00Z'),
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke.waitForTaskToken',
          region: 'us-east-1',
          parameters: JSON.stringify({ Payload: { taskToken: TOKEN, thingName: 'sensor-1' } }),
        },
      },
      {
        id: 2,
        type: 'TaskSucceeded',
        timestamp: new Date('2026-01-01T00:00:01Z'),
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          output: JSON.stringify({ newCertificatePem: PEM, certificateId: 'abc123' }),
        },
      },
    ];

    // Act
    const html = eventsTable(events, false).text;

    // Assess
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain('Q2VydGlmaWNhdGVCb2R5');
    expect(html).toContain('sensor-1');
    expect(html).toContain('abc123');
  });
});
