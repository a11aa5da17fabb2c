#!/usr/bin/env -S npx tsx
import { runCli } from './main.ts';

// `recert ...` (package.json bin) and `npm run recert -- ...`.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
});
