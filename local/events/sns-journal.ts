import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/**
 * What the local SNS published, one JSON line per message in `<stateDir>/events/sns-published.jsonl`:
 * the mailbox of subscribers that cannot be reached locally (e-mail, SMS), read by `recert escalations`.
 */
export const PUBLISHED_JOURNAL = join('events', 'sns-published.jsonl');

export const JournalEntry = z.object({
  topicArn: z.string(),
  messageId: z.string(),
  subject: z.string().optional(),
  message: z.string(),
  timestamp: z.string(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export function publishedJournalPath(stateDir: string): string {
  return join(stateDir, PUBLISHED_JOURNAL);
}

/** Appends in publish order; a failed write is reported once and never fails a Publish. */
export class PublishedJournal {
  private tail: Promise<void> = Promise.resolve();
  private warned = false;

  constructor(private readonly path: string) {}

  append(entry: JournalEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    this.tail = this.tail
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        await appendFile(this.path, line);
      })
      .catch((error: unknown) => {
        if (this.warned) return;
        this.warned = true;
        process.emitWarning(`local SNS: cannot record published messages in ${this.path}: ${String(error)}`);
      });
  }

  /** Resolves when every message appended so far is on disk. */
  flushed(): Promise<void> {
    return this.tail;
  }
}

/**
 * The messages published on `topicArn` (every topic when undefined), oldest first; nothing when
 * the journal does not exist yet. A line that does not parse (a write cut short) is skipped.
 */
export async function readPublishedJournal(stateDir: string, topicArn?: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(publishedJournalPath(stateDir), 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = JournalEntry.safeParse(raw);
    if (parsed.success && (topicArn === undefined || parsed.data.topicArn === topicArn))
      entries.push(parsed.data);
  }
  return entries;
}
