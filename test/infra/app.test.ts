import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const run = promisify(execFile);
const ProcessFailure = z.object({ stdout: z.string().optional(), stderr: z.string().optional() });
const outdirs: string[] = [];

/** Runs `infra/app.ts` as `npm run synth` does, with no AWS credentials or profile in the environment. */
async function synthApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'recert-app-'));
  outdirs.push(outdir);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: outdir,
    CDK_OUTDIR: outdir,
    // Bundling is covered by bundling.test.ts; skipping it keeps this test to one synthesis.
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      env,
      timeout: 230_000,
    });
    return { ok: true as const, outdir, output: stdout + stderr };
  } catch (error) {
    const failure = ProcessFailure.parse(error);
    return { ok: false as const, outdir, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('infra/app.ts', () => {
  it('synthesises the Recert stack offline, with no credentials, through its cdk-nag gate', async () => {
    // Act
    const result = await synthApp({});

    // Assess
    expect(result.output).not.toMatch(/AwsSolutions-/);
    expect(result.ok).toBe(true);
    const template = JSON.parse(readFileSync(join(result.outdir, 'Recert.template.json'), 'utf8'));
    expect(template.Resources).toBeTypeOf('object');
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'StateMachineArn',
        'RotationTableName',
        'EscalationTopicArn',
        'AuditTopicArn',
        'Region',
      ]),
    );
  }, 240_000);

  it('refuses a wrong setting before synthesising, naming the context key', async () => {
    // Act
    const result = await synthApp({ 'recert:CsrTimeoutSeconds': 'tomorrow' });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.output).toContain('recert:CsrTimeoutSeconds must be a number');
  }, 240_000);

  it('refuses pacing a campaign could not run at, naming the context key', async () => {
    // Act
    const result = await synthApp({ 'recert:pacingFailureRateThreshold': '1.5' });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.output).toContain(
      'recert:pacingFailureRateThreshold: failureRateThreshold must be a fraction in (0, 1], not 1.5',
    );
  }, 240_000);
});
