/**
 * The Comments of a state machine are what operators read in the Step Functions console: every
 * state they name must exist. A word that looks like a state name (PascalCase of two words or more)
 * is a state of the definition, an error name, a setting, or on the short allow-list below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_ERROR_NAMES, CAMPAIGN_PLACEHOLDERS } from '../../workflows/campaign/contract.ts';
import { CSR_REJECTION_NAMES, ERROR_NAMES, PLACEHOLDERS } from '../../workflows/rotate-device/contract.ts';

const ASL_DIR = new URL('../../asl/', import.meta.url).pathname;
const files = readdirSync(ASL_DIR)
  .filter((f) => f.endsWith('.asl.json'))
  .sort();

/** Names that look like states but are AWS's own: an API operation, product names. */
const ALLOW = new Set(['RedriveExecution', 'DynamoDB', 'IoT']);

/** Names the workflows' contracts define that a Comment may cite: errors and settings. */
const CONTRACT_NAMES = new Set<string>([
  ...Object.values(ERROR_NAMES),
  ...Object.values(CSR_REJECTION_NAMES),
  ...Object.values(CAMPAIGN_ERROR_NAMES),
  ...Object.keys(PLACEHOLDERS),
  ...Object.keys(CAMPAIGN_PLACEHOLDERS),
]);

interface Found {
  readonly states: Set<string>;
  readonly errors: Set<string>;
  readonly comments: { readonly where: string; readonly text: string }[];
}

/** Walks a definition: its state names (nested ones included), the errors it names, its Comments. */
function walk(node: unknown, where: string, found: Found): Found {
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      walk(item, `${where}[${i}]`, found);
    });
    return found;
  }
  if (typeof node !== 'object' || node === null) return found;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'Comment' && typeof value === 'string') found.comments.push({ where, text: value });
    else if (key === 'States' && typeof value === 'object' && value !== null) {
      for (const name of Object.keys(value)) found.states.add(name);
      walk(value, where, found);
    } else if (key === 'ErrorEquals' && Array.isArray(value)) {
      for (const e of value) if (typeof e === 'string') found.errors.add(e);
    } else walk(value, where === '' ? key : `${where}.${key}`, found);
  }
  return found;
}

/** Words of a comment that look like state names: PascalCase, two humps or more, not a dotted path. */
function stateLikeWords(text: string): string[] {
  return text
    .split(/[\s,;:()'"/]+/)
    .map((w) => w.replace(/[.!?]+$/, ''))
    .filter((w) => !/[.${}_]/.test(w))
    .filter((w) => /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$/.test(w));
}

/** Words a Comment names as states that the definition does not have, one line each. */
function unknownStateNames(definition: unknown): string[] {
  const found = walk(definition, '', { states: new Set(), errors: new Set(), comments: [] });
  return found.comments.flatMap(({ where, text }) =>
    stateLikeWords(text)
      .filter((w) => !found.states.has(w) && !found.errors.has(w) && !CONTRACT_NAMES.has(w) && !ALLOW.has(w))
      .map((w) => `${where || '(top level)'}: ${w}`),
  );
}

describe('state machine Comments', () => {
  it('finds the definitions', () => {
    expect(files).toContain('rotate-device.asl.json');
  });

  it.each(files)('%s: every state a Comment names exists', (file) => {
    // Act
    const unknown = unknownStateNames(JSON.parse(readFileSync(join(ASL_DIR, file), 'utf8')));

    // Assess
    expect(unknown).toEqual([]);
  });

  it('catches a Comment naming states that are gone (the check can fail)', () => {
    // Prepare: the top-level Comment rotate-device.asl.json had before its states were merged.
    const definition = {
      Comment:
        'The happy path enters six states: ClaimThing, RequestCsr, IssueCertificate, DeliverCertificate, RetireOldCertificate, CompleteRotation. RedriveExecution resumes there.',
      StartAt: 'ClaimThing',
      States: {
        ClaimThing: {
          Type: 'Pass',
          Comment: 'Fails with DynamoDB.ConditionalCheckFailedException.',
          Next: 'RequestCsr',
        },
        RequestCsr: { Type: 'Pass', Next: 'RetireOldCertificate' },
        RetireOldCertificate: {
          Type: 'Task',
          Comment: 'Retries TransientAwsError; see MaxCertificateAttempts.',
          Resource: 'arn:aws:states:::lambda:invoke',
          Retry: [{ ErrorEquals: ['TransientAwsError'] }],
          End: true,
        },
      },
    };

    // Act / Assess
    expect(unknownStateNames(definition)).toEqual([
      '(top level): IssueCertificate',
      '(top level): DeliverCertificate',
      '(top level): CompleteRotation',
    ]);
  });
});
