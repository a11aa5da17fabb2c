import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CSR_REJECTION_NAMES,
  csrWaitSpanSeconds,
  ERROR_NAMES,
  FUNCTION_IDS,
  PLACEHOLDERS,
  placeholdersIn,
  readDefinitionTemplate,
  renderDefinition,
  resolveSettings,
  TASK_FUNCTION_IDS,
  TRANSIENT_DYNAMODB_ERRORS,
  TRANSIENT_LAMBDA_ERRORS,
} from '../../workflows/rotate-device/contract.ts';

const Retrier = z.object({
  ErrorEquals: z.array(z.string()),
  IntervalSeconds: z.number().optional(),
  MaxAttempts: z.number().optional(),
  BackoffRate: z.number().optional(),
  MaxDelaySeconds: z.number().optional(),
  JitterStrategy: z.enum(['FULL', 'NONE']).optional(),
});
const Catcher = z.object({ ErrorEquals: z.array(z.string()), Next: z.string() });
const State = z.object({
  Type: z.string(),
  Resource: z.string().optional(),
  Next: z.string().optional(),
  End: z.boolean().optional(),
  Retry: z.array(Retrier).optional(),
  Catch: z.array(Catcher).optional(),
  TimeoutSeconds: z.number().optional(),
  Comment: z.string().optional(),
});
const Definition = z.object({
  QueryLanguage: z.literal('JSONata'),
  StartAt: z.string(),
  States: z.record(z.string(), State),
});

const functionArns = Object.fromEntries(
  FUNCTION_IDS.map((id) => [id, `arn:aws:lambda:us-east-1:000000000000:function:recert-${id}`]),
);
const template = readDefinitionTemplate();
const definition = Definition.parse(
  JSON.parse(renderDefinition({ functionArns, tableName: 'recert-rotations' })),
);

/** The states a successful rotation enters: from StartAt along `Next` (no Catch taken) to the end. */
function happyPath(): string[] {
  const path: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name) {
    if (path.includes(name)) throw new Error(`the happy path loops at ${name}`);
    path.push(name);
    const state: z.infer<typeof State> | undefined = definition.States[name];
    if (!state) throw new Error(`missing state ${name}`);
    if (state.Type === 'Choice') throw new Error('a Choice on the happy path needs its own walk');
    name = state.End ? undefined : state.Next;
  }
  return path;
}

describe('rotate-device definition', () => {
  it('uses exactly the placeholders the contract binds', () => {
    // Prepare / Act
    const used = placeholdersIn(template);
    const bound = Object.keys(PLACEHOLDERS).sort();
    // Assess
    expect(used).toEqual(bound);
  });

  it('refuses to render without a function ARN', () => {
    const { 'retire-certificate': _dropped, ...fewer } = functionArns;
    expect(() => renderDefinition({ functionArns: fewer, tableName: 't' })).toThrow(/retire-certificate/);
  });

  it('renders settings as numbers where the language wants numbers', () => {
    // Prepare / Act
    const rendered = Definition.parse(
      JSON.parse(renderDefinition({ functionArns, tableName: 't' }, { CsrTimeoutSeconds: 120 })),
    );
    // Assess
    expect(rendered.States.RequestCsr?.TimeoutSeconds).toBe(120);
    expect(rendered.States.RequestCsr?.Retry?.[0]?.MaxAttempts).toBe(resolveSettings().CsrRetryMaxAttempts);
  });

  it('binds a function placeholder for every task function', () => {
    expect(TASK_FUNCTION_IDS).toEqual([
      'request-csr',
      'issue-certificate',
      'revoke-certificate',
      'retire-certificate',
    ]);
  });

  it('enters at most 12 states on the happy path (billed transitions)', () => {
    // Act
    const path = happyPath();
    // Assess
    expect(path).toEqual(['ClaimThing', 'RequestCsr', 'IssueAndDeliver', 'RetireOldCertificate']);
    expect(path.length).toBeLessThanOrEqual(12);
  });

  it('retries transient errors on every task with backoff and full jitter', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const expected = state.Resource?.includes(':dynamodb:')
        ? TRANSIENT_DYNAMODB_ERRORS
        : TRANSIENT_LAMBDA_ERRORS;
      const retrier = state.Retry?.find((r) => expected.every((e) => r.ErrorEquals.includes(e)));
      expect(retrier, `${name} retries transient errors`).toBeDefined();
      expect(retrier?.JitterStrategy, name).toBe('FULL');
      expect(retrier?.BackoffRate ?? 0, name).toBeGreaterThan(1);
      expect(retrier?.MaxDelaySeconds, name).toBeGreaterThan(0);
    }
  });

  it('never routes a failure to a Fail state and catches no catch-all', () => {
    for (const state of Object.values(definition.States)) {
      expect(state.Type).not.toBe('Fail');
      for (const catcher of state.Catch ?? []) {
        expect(catcher.ErrorEquals).not.toContain('States.ALL');
        expect(catcher.ErrorEquals).not.toContain('States.TaskFailed');
      }
    }
  });

  it('asks for a fresh CSR on every CSR rejection and on an interrupted issuance', () => {
    const catcher = definition.States.IssueAndDeliver?.Catch?.[0];
    expect([...(catcher?.ErrorEquals ?? [])].sort()).toEqual(
      [...Object.values(CSR_REJECTION_NAMES), ERROR_NAMES.issuanceInterrupted].sort(),
    );
    expect(catcher?.Next).toBe('RequestCsr');
  });

  it('revokes the new certificate on crt_err and on a delivery nobody acknowledged', () => {
    const catcher = definition.States.IssueAndDeliver?.Catch?.[1];
    expect(catcher?.ErrorEquals).toEqual([ERROR_NAMES.deviceCertificateError, 'States.Timeout']);
    expect(catcher?.Next).toBe('RevokeNewCertificate');
    expect(definition.States.RevokeNewCertificate?.Next).toBe('RequestCsr');
  });

  it('keeps asking a silent device for about a week with the default settings', () => {
    // Act
    const days = csrWaitSpanSeconds(resolveSettings()) / 86_400;
    // Assess
    expect(days).toBeGreaterThan(6);
    expect(days).toBeLessThan(8);
  });

  it('rejects a setting out of range, naming it', () => {
    expect(() => resolveSettings({ MaxCertificateAttempts: 0 })).toThrow(/MaxCertificateAttempts/);
    expect(() => resolveSettings({ CsrTimeoutSeconds: 1.5 })).toThrow(/integer/);
  });
});
