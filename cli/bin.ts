#!/usr/bin/env -S npx tsx
import { endQuietlyOnClosedPipe } from './io.ts';
import { runCli } from './main.ts';

// `recert ...`: started by cli/recert.mjs (package.json bin, `npm run recert -- ...`).
// The SDK's notice that its future releases need a newer Node.js says nothing about the release the
// lockfile pins, so it is not shown to operators (they can still turn it on by setting the variable).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
endQuietlyOnClosedPipe(process.stdout);
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
});
