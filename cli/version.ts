import { readFileSync } from 'node:fs';

/** recert's version, from package.json (the build copies it into dist/package.json). */
export function recertVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed) return String(parsed.version);
  } catch {
    // Reported as unknown below: a version is never worth failing a command for.
  }
  return 'unknown';
}
