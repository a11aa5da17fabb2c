import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

// Each test starts a fresh tsx process that compiles the local AWS: bounded work, but slow on a busy
// machine. Only the answer printed decides the outcome.
const CHILD_TEST_TIMEOUT_MS = 240_000;

// In a fresh process, as the local AWS really starts: a vitest worker may have loaded the SDK already.
async function namespaceAfterLoading(env: NodeJS.ProcessEnv): Promise<string> {
  const script = [
    "await import('./local/stack/local-aws.ts');",
    "const { createRequire } = await import('node:module');",
    'const require = createRequire(import.meta.url);',
    "require('@aws-lambda-powertools/tracer');",
    "const cls = require('cls-hooked/context');",
    "console.log(cls.getNamespace('AWSXRay') ? 'hooked' : 'manual');",
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env,
    cwd: process.cwd(),
  });
  return stdout.trim();
}

describe('the local AWS and the X-Ray SDK', () => {
  it(
    'keeps the X-Ray SDK from installing its promise hook in the local process',
    async () => {
      // Prepare
      const env = { ...process.env };
      delete env.AWS_XRAY_MANUAL_MODE;
      delete env.AWS_LAMBDA_FUNCTION_NAME;

      // Act
      const mode = await namespaceAfterLoading(env);

      // Assess
      expect(mode).toBe('manual');
    },
    CHILD_TEST_TIMEOUT_MS,
  );

  it(
    'leaves a Lambda environment alone (traces are sent there)',
    async () => {
      // Prepare
      const env: NodeJS.ProcessEnv = { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'recert-request-csr' };
      delete env.AWS_XRAY_MANUAL_MODE;

      // Act
      const mode = await namespaceAfterLoading(env);

      // Assess
      expect(mode).toBe('hooked');
    },
    CHILD_TEST_TIMEOUT_MS,
  );
});
