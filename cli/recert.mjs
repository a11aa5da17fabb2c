#!/usr/bin/env node
// The `recert` command (package.json bin): cli/bin.ts, built or from source.
import { launch } from './build/launch.mjs';

await launch('cli/bin');
