import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_FUNCTION_IDS } from '../../infra/constructs/workflow-functions.ts';
import { logicalId, type Synthesised, synthesise } from './helpers/synth.ts';

let s: Synthesised;
const assetDirs = new Map<string, string>();

beforeAll(() => {
  s = synthesise(
    { 'recert:iotDataEndpoint': 'a1b2c3-ats.iot.eu-west-1.amazonaws.com' },
    { bundle: true, validate: false },
  );
  const fns = s.template.findResources('AWS::Lambda::Function');
  for (const fid of DEPLOYED_FUNCTION_IDS) {
    const key: string = fns[logicalId(s.stack.workflowFunctions.functions[fid])]?.Properties.Code.S3Key;
    assetDirs.set(fid, join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`));
  }
}, 300_000);

afterAll(() => s.cleanup());

describe('function bundles (local esbuild, no Docker)', () => {
  it.each(DEPLOYED_FUNCTION_IDS)('%s: one ESM file and its source map, nothing left to install', (fid) => {
    // Prepare
    const dir = assetDirs.get(fid) ?? '';

    // Act
    const files = readdirSync(dir).sort();

    // Assess
    expect(files).toEqual(['index.mjs', 'index.mjs.map']);
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(10 * 1024 * 1024);
  });

  it('every bundle loads in plain Node.js (as Lambda will) and exports its handler', () => {
    // Prepare: a separate Node process, outside the test runner's module transforms.
    const urls = DEPLOYED_FUNCTION_IDS.map(
      (fid) => pathToFileURL(join(assetDirs.get(fid) ?? '', 'index.mjs')).href,
    );
    const script =
      'const out = {}; for (const url of JSON.parse(process.argv[1])) { const m = await import(url); ' +
      'out[url] = typeof m.handler; } console.log(JSON.stringify(out));';

    // Act
    const stdout = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(urls)],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' },
      },
    );

    // Assess
    expect(JSON.parse(stdout)).toEqual(Object.fromEntries(urls.map((url) => [url, 'function'])));
  });
});
