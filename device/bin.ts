#!/usr/bin/env -S npx tsx
import { runDeviceCommand } from './cli.ts';

// `npx tsx device/bin.ts run ...`: the device agent without the rest of the recert command.
process.exitCode = await runDeviceCommand(process.argv.slice(2));
