import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { bakeSettings } from '../../workflows/rotate-device/contract.ts';

const ASL_DIR = new URL('../../asl/', import.meta.url).pathname;
const files = readdirSync(ASL_DIR).filter((f) => f.endsWith('.asl.json'));

// A fake ARN per placeholder: the validator checks ARN shapes, and a definition with unbound
// placeholders is not a state machine yet.
function bindForValidation(template: string): unknown {
  const baked = bakeSettings(template);
  const bound = baked.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) =>
    name.endsWith('FunctionArn')
      ? `arn:aws:lambda:us-east-1:000000000000:function:${name}`
      : `recert-${name}`,
  );
  return JSON.parse(bound);
}

// Validation is slow, so each file is validated once and the result shared by the assertions.
const results = new Map(
  files.map((file) => [file, aslValidator(bindForValidation(readFileSync(join(ASL_DIR, file), 'utf8')))]),
);

describe('state machine definitions', () => {
  it('finds the definitions to validate', () => {
    expect(files).toContain('rotate-device.asl.json');
  });

  it.each(files)('%s is valid Amazon States Language', (file) => {
    // Prepare / Act
    const result = results.get(file);
    // Assess
    expect(result?.errors ?? []).toEqual([]);
    expect(result?.isValid).toBe(true);
  });
});
