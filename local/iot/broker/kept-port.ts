import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/**
 * The MQTT port of a state directory, chosen once and kept: devices are configured with it, so a
 * restart that asks for any port (0) gets the one it had, when that port is still free.
 */
export async function keptPort(requested: number, host: string, file: string): Promise<number> {
  if (requested !== 0) return requested;
  let saved: number | undefined;
  try {
    const value = Number((await readFile(file, 'utf8')).trim());
    if (Number.isInteger(value) && value > 0 && value < 65_536) saved = value;
  } catch {
    // No port chosen yet for this state directory.
  }
  return saved !== undefined && (await isFree(saved, host)) ? saved : 0;
}

/** Records the port the broker listens on, for the next start. */
export async function keepPort(port: number, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${port}\n`);
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
