import type { HistoryEvent } from '@aws-sdk/client-sfn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sinceFlag } from '../../cli/args.ts';
import { UsageError } from '../../cli/errors.ts';
import { statusColour } from '../../cli/output/colour.ts';
import { renderCsv } from '../../cli/output/csv.ts';
import { renderTable } from '../../cli/output/table.ts';
import { renderText } from '../../cli/output/text.ts';
import { readableError } from '../../cli/rotations/error-text.ts';
import { accountOf, executionArnArg } from '../../cli/rotations/identifiers.ts';
import { freshName } from '../../cli/rotations/start.ts';
import { buildTimeline } from '../../cli/rotations/timeline.ts';
import { resourcesFromOutputs } from '../../cli/target/aws-target.ts';
import { executionConsoleLink } from '../../cli/target/target.ts';

/** An RFC 4180 reader, written independently of the writer, to read back what it wrote. */
function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new Error('unterminated quote');
        field += line.slice(i, quote);
        i = quote + 1;
        if (line[i] === '"') {
          field += '"';
          i += 1;
        } else break;
      }
    } else {
      const comma = line.indexOf(',', i);
      field = comma < 0 ? line.slice(i) : line.slice(i, comma);
      i = comma < 0 ? line.length : comma;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i += 1; // the comma
  }
}

describe('CSV output', () => {
  it('reads back to the same cells for any text without line breaks', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.string().filter((s) => !/[\r\n]/.test(s)),
            { minLength: 3, maxLength: 3 },
          ),
        ),
        (rows) => {
          // Act
          const lines = renderCsv(
            [0, 1, 2].map((i) => ({ header: `h${i}`, value: (row: string[]) => row[i] })),
            rows,
          );
          // Assess
          expect(lines).toHaveLength(rows.length + 1);
          for (const [i, row] of rows.entries()) expect(parseCsvLine(lines[i + 1] ?? '')).toEqual(row);
        },
      ),
    );
  });

  it('leaves missing values empty and quotes commas and quotes', () => {
    const lines = renderCsv(
      [
        { header: 'a', value: (r: { a?: string; b: string }) => r.a },
        { header: 'b', value: (r) => r.b },
      ],
      [{ b: 'x, "y"' }],
    );
    expect(lines).toEqual(['a,b', ',"x, ""y"""']);
  });
});

describe('tables', () => {
  it('pads columns, right-aligns numbers, shows missing as "-" and neutralises control characters', () => {
    const lines = renderTable(
      [
        { header: 'THING', value: (r: { t: string; n?: number }) => r.t },
        { header: 'N', value: (r) => r.n, align: 'right' },
      ],
      [{ t: 'a\u001b[31m', n: 12 }, { t: 'long-thing' }],
    );
    expect(lines).toEqual(['THING        N', 'a [31m      12', 'long-thing   -']);
  });

  it('colours the cells of a status column only when asked, after padding them', () => {
    const columns = [
      { header: 'STATUS', value: (r: { s: string }) => r.s, colour: statusColour },
      { header: 'X', value: () => 'x' },
    ];
    const rows = [{ s: 'FAILED' }, { s: 'SUCCEEDED' }, { s: 'IN_PROGRESS' }, { s: 'other' }];
    expect(renderTable(columns, rows, { colour: true })).toEqual([
      'STATUS       X',
      '\u001b[31mFAILED     \u001b[0m  x',
      '\u001b[32mSUCCEEDED  \u001b[0m  x',
      '\u001b[33mIN_PROGRESS\u001b[0m  x',
      'other        x',
    ]);
    expect(renderTable(columns, rows).join('\n')).not.toContain('\u001b');
  });
});

describe('text output', () => {
  it('writes one record a line with the kind and one field per column, whatever the text holds', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.option(fc.string()), { minLength: 3, maxLength: 3 })), (rows) => {
        // Act
        const lines = renderText(
          'ROW',
          [0, 1, 2].map((i) => ({ header: `h${i}`, value: (row: (string | null)[]) => row[i] })),
          rows,
        );
        // Assess: tabs and line breaks inside a value never split a field or a record.
        expect(lines).toHaveLength(rows.length);
        for (const [i, line] of lines.entries()) {
          const fields = line.split('\t');
          expect(fields).toHaveLength(4);
          expect(fields[0]).toBe('ROW');
          expect(line).not.toMatch(/[\r\n]/);
          for (const [j, field] of fields.slice(1).entries()) {
            const value = rows[i]?.[j];
            if (value === null || value === '') expect(field).toBe('-');
            else expect(field.length).toBe(value?.length);
          }
        }
      }),
    );
  });

  it('writes the full value where the table shortens it', () => {
    const id = 'a'.repeat(64);
    const lines = renderText('CERT', [{ header: 'ID', value: () => id.slice(0, 12), full: () => id }], [{}]);
    expect(lines).toEqual([`CERT\t${id}`]);
  });
});

describe('--since', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  it.each([
    ['30m', '2026-03-10T11:30:00.000Z'],
    ['12h', '2026-03-10T00:00:00.000Z'],
    ['7d', '2026-03-03T12:00:00.000Z'],
    ['2w', '2026-02-24T12:00:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T08:15:00Z', '2026-03-01T08:15:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(sinceFlag(text, now)).toBe(iso);
  });
  it.each(['yesterday', '7 d', '-3d', '2026-13-45', '3y'])('%s is a usage error', (text) => {
    expect(() => sinceFlag(text, now)).toThrow(UsageError);
  });
});

describe('identifiers', () => {
  it('accepts execution ARNs and rejects anything else with the expected shape', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:recert-rotate-device:sensor-1-abc';
    expect(executionArnArg(arn)).toBe(arn);
    for (const bad of [
      'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-rotate-device',
      'arn:aws:states:eu-west-1:1234:execution:m:n',
      'arn:aws:iot:eu-west-1:123456789012:thing/sensor-1',
    ]) {
      expect(() => executionArnArg(bad)).toThrow(/is not a Step Functions execution ARN/);
    }
    expect(accountOf('arn:aws:states:eu-west-1:123456789012:stateMachine:m')).toBe('123456789012');
  });

  it('makes fresh execution names within 80 characters, different from the base', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9-]{1,80}$/),
        fc.integer({ min: 0, max: 2 ** 45 }),
        (base, now) => {
          const name = freshName(base, now);
          expect(name.length).toBeLessThanOrEqual(80);
          expect(name).not.toBe(base);
          expect(name.endsWith(`-r${now.toString(36)}`)).toBe(true);
        },
      ),
    );
  });
});

describe('the AWS target', () => {
  const outputs = [
    { OutputKey: 'StateMachineArn', OutputValue: 'arn:aws:states:eu-west-1:123456789012:stateMachine:rd' },
    { OutputKey: 'RotationTableName', OutputValue: 'Recert-Rotations' },
    { OutputKey: 'EscalationTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:esc' },
    { OutputKey: 'AuditTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:audit' },
    { OutputKey: 'Region', OutputValue: 'eu-west-1' },
  ];

  it('maps the stack outputs to resources', () => {
    expect(resourcesFromOutputs('Recert', outputs)).toEqual({
      region: 'eu-west-1',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:rd',
      rotationTableName: 'Recert-Rotations',
      escalationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:esc',
      auditTopicArn: 'arn:aws:sns:eu-west-1:123456789012:audit',
    });
  });

  it('reads the campaign table and state machine from the stack outputs', () => {
    const resources = resourcesFromOutputs('Recert', [
      ...outputs,
      { OutputKey: 'CampaignTableName', OutputValue: 'campaigns' },
      {
        OutputKey: 'CampaignStateMachineArn',
        OutputValue: 'arn:aws:states:eu-west-1:123456789012:stateMachine:c',
      },
    ]);
    expect(resources.campaignTableName).toBe('campaigns');
    expect(resources.campaignStateMachineArn).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:c');
  });

  it('still serves a stack from before campaigns, without them', () => {
    const resources = resourcesFromOutputs('Recert', outputs);
    expect(resources.rotationTableName).toBe('Recert-Rotations');
    expect('campaignTableName' in resources).toBe(false);
  });

  it('names the missing output and the stack', () => {
    expect(() => resourcesFromOutputs('Other', outputs.slice(1))).toThrow(
      'stack Other has no output StateMachineArn',
    );
  });

  it('links an execution to the Step Functions console', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:rd:x';
    expect(executionConsoleLink('eu-west-1', arn)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
    );
  });
});

describe('timeline', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const ev = (id: number, type: string, extra: Partial<HistoryEvent> = {}): HistoryEvent =>
    ({ id, type, timestamp: at(id), ...extra }) as HistoryEvent;

  it('folds retries, a caught error and a redrive into steps', () => {
    // Prepare: a task retried once then succeeded; a task whose error was caught; a redrive.
    const events = [
      ev(1, 'ExecutionStarted'),
      ev(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'IssueCertificate' } }),
      ev(3, 'TaskScheduled'),
      ev(4, 'TaskFailed', {
        taskFailedEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          error: 'TransientAwsError',
          cause: 'throttled',
        },
      }),
      ev(5, 'TaskScheduled'),
      ev(6, 'TaskSucceeded'),
      ev(7, 'TaskStateExited', { stateExitedEventDetails: { name: 'IssueCertificate' } }),
      ev(8, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'DeliverCertificate' } }),
      ev(9, 'TaskScheduled'),
      ev(10, 'TaskTimedOut', {
        taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' },
      }),
      ev(11, 'TaskStateExited', { stateExitedEventDetails: { name: 'DeliverCertificate' } }),
      ev(12, 'FailStateEntered', { stateEnteredEventDetails: { name: 'RotationFailed' } }),
      ev(13, 'ExecutionFailed', {
        executionFailedEventDetails: { error: 'RotationFailed', cause: '{"errorMessage":"gave up"}' },
      }),
      ev(14, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: 1 } }),
    ];
    // Act
    const steps = buildTimeline(events);
    // Assess
    expect(steps.map((s) => [s.step, s.outcome, s.attempts, s.error ?? null])).toEqual([
      ['(execution)', 'started', 0, null],
      ['IssueCertificate', 'retried', 2, 'TransientAwsError: throttled'],
      ['DeliverCertificate', 'caught', 1, 'States.Timeout'],
      ['RotationFailed', 'failed', 0, 'RotationFailed: gave up'],
      ['(execution)', 'failed', 0, 'RotationFailed: gave up'],
      ['(redriven #1)', 'started', 0, null],
    ]);
    expect(steps[1]?.exitedAt).toBe(at(7).toISOString());
  });

  it('makes the Lambda error envelope readable and leaves other texts alone', () => {
    expect(
      readableError('CsrRejected: {"errorType":"CsrRejected","errorMessage":"key too small","trace":[]}'),
    ).toBe('CsrRejected: key too small');
    expect(readableError('States.Timeout: no answer')).toBe('States.Timeout: no answer');
    expect(readableError('X: {not json}')).toBe('X: {not json}');
  });
});
