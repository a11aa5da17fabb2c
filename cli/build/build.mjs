// `npm run build` (and `prepare`, which `npm ci` runs): the TypeScript of the runtime folders
// transpiled to JavaScript in dist/, file for file, so `recert` and `npm start` start without
// compiling. No type checking here: that is `npm run typecheck`.
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The folders `recert` and `npm start` load code from. */
export const SOURCE_DIRS = ['cli', 'console', 'lib', 'local', 'device', 'functions', 'workflows'];
export const DIST = join(ROOT, 'dist');
/** Written last: the build is complete, and no source file is newer than its `builtAt`. */
export const STAMP_FILE = 'build-stamp.json';

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|mjs|json)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

// Relative `.ts` specifiers become `.js` (esbuild keeps them as written when not bundling).
const TS_SPECIFIER = /((?:\bfrom|\bimport)\s*\(?\s*["'])(\.{1,2}\/[^"'\n]+?)\.ts(["'])/g;
const rewrite = (code) => code.replace(TS_SPECIFIER, '$1$2.js$3');

async function buildFile(path, outDir) {
  const out = join(outDir, relative(ROOT, path)).replace(/\.ts$/, '.js');
  await mkdir(dirname(out), { recursive: true });
  const text = await readFile(path, 'utf8');
  if (!path.endsWith('.ts')) {
    await writeFile(out, path.endsWith('.mjs') ? rewrite(text) : text);
    return;
  }
  const { code } = await transform(text, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: path,
    sourcemap: 'inline',
  });
  await writeFile(out, rewrite(code));
}

/** Builds into `outDir` (default dist/) and returns how many files it wrote. */
export async function build(outDir = DIST) {
  const started = Date.now();
  await rm(outDir, { recursive: true, force: true });
  const files = [];
  for (const dir of SOURCE_DIRS) for await (const path of sources(join(ROOT, dir))) files.push(path);
  await Promise.all(files.map((path) => buildFile(path, outDir)));
  // Data files the code reads relative to itself.
  await cp(join(ROOT, 'asl'), join(outDir, 'asl'), { recursive: true });
  const { name, version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify({ name, version, type: 'module' })}\n`);
  await writeFile(join(outDir, STAMP_FILE), JSON.stringify({ builtAt: started, files: files.length }));
  return files.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = await build();
  process.stdout.write(`built ${count} files into ${relative(process.cwd(), DIST) || DIST}\n`);
}
