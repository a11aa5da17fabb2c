import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * The persistent MQTT sessions of a stopped broker, so a restart of the local AWS keeps what AWS IoT
 * keeps for a disconnected persistent session: its subscriptions and its undelivered QoS 1 messages,
 * until the session expires. Written when the broker closes, read when it listens again.
 */

const SavedSession = z.object({
  clientId: z.string().min(1),
  offlineSince: z.number(),
  subscriptions: z.array(z.object({ topic: z.string().min(1), qos: z.number().int().min(0).max(1) })),
  /** Queued QoS 1 publishes, payload in base64. */
  queued: z.array(z.object({ topic: z.string().min(1), payload: z.string(), qos: z.literal(1) })),
});
const SessionFile = z.object({ version: z.literal(1), sessions: z.array(SavedSession) });
type SavedSession = z.infer<typeof SavedSession>;

/** The part of aedes' persistence a snapshot reads and writes. */
export interface SessionPersistence {
  subscriptionsByClient(client: { id: string }): Promise<Array<{ topic: string; qos: number }>>;
  addSubscriptions(client: { id: string }, subs: Array<{ topic: string; qos: number }>): Promise<unknown>;
  outgoingStream(client: { id: string }): AsyncIterable<{ topic: string; payload: unknown; qos: number }>;
  outgoingEnqueue(sub: { clientId: string }, packet: Record<string, unknown>): Promise<unknown>;
}

export async function saveSessions(
  path: string,
  persistence: SessionPersistence,
  offlineSince: ReadonlyMap<string, number>,
): Promise<void> {
  const sessions: SavedSession[] = [];
  for (const [clientId, since] of offlineSince) {
    const client = { id: clientId };
    const subscriptions = (await persistence.subscriptionsByClient(client)).map((s) => ({
      topic: s.topic,
      qos: s.qos === 0 ? 0 : 1,
    }));
    const queued: SavedSession['queued'] = [];
    for await (const packet of persistence.outgoingStream(client)) {
      if (packet.qos !== 1) continue;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(String(packet.payload));
      queued.push({ topic: packet.topic, payload: payload.toString('base64'), qos: 1 });
    }
    if (subscriptions.length > 0 || queued.length > 0) {
      sessions.push({ clientId, offlineSince: since, subscriptions, queued });
    }
  }
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ version: 1, sessions }));
  await rename(temporary, path);
}

/**
 * Puts the saved sessions that have not expired back into the persistence; returns when each
 * client went offline. A missing file is no sessions; an unreadable one is reported and ignored.
 */
export async function restoreSessions(
  path: string,
  persistence: SessionPersistence,
  now: number,
  expiryMs: number,
  onUnreadable: (reason: string) => void,
): Promise<Map<string, number>> {
  const restored = new Map<string, number>();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onUnreadable(String(error));
    return restored;
  }
  let parsed: z.infer<typeof SessionFile>;
  try {
    parsed = SessionFile.parse(JSON.parse(text));
  } catch (error) {
    onUnreadable(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    return restored;
  }
  const brokerId = `restored-${randomUUID()}`;
  let counter = 0;
  for (const session of parsed.sessions) {
    if (now - session.offlineSince > expiryMs) continue;
    if (session.subscriptions.length > 0) {
      await persistence.addSubscriptions({ id: session.clientId }, session.subscriptions);
    }
    for (const message of session.queued) {
      counter += 1;
      await persistence.outgoingEnqueue(
        { clientId: session.clientId },
        {
          cmd: 'publish',
          topic: message.topic,
          payload: Buffer.from(message.payload, 'base64'),
          qos: 1,
          retain: false,
          dup: false,
          brokerId,
          brokerCounter: counter,
        },
      );
    }
    restored.set(session.clientId, session.offlineSince);
  }
  return restored;
}
