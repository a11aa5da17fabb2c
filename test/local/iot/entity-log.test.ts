import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptStateError, EntityLog } from '../../../local/iot/store/entity-log.ts';

describe('the registry entity log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-log-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays puts and deletes after a restart, whether or not it compacted in between', () => {
    // Prepare
    const log = new EntityLog(dir, 10);
    log.open();

    // Act
    for (let i = 0; i < 25; i++) log.put('things', `t${i}`, { n: i });
    for (let i = 0; i < 25; i += 2) log.delete('things', `t${i}`);
    log.close();
    const reopened = new EntityLog(dir);
    reopened.open();

    // Assess
    expect([...reopened.table('things').keys()].sort()).toEqual(
      Array.from({ length: 12 }, (_, k) => `t${2 * k + 1}`).sort(),
    );
    expect(reopened.table('things').get('t7')).toEqual({ n: 7 });
    // Compaction kept the log short: far fewer lines than the 38 changes made.
    expect(readFileSync(join(dir, 'changes.log'), 'utf8').split('\n').length).toBeLessThan(20);
    reopened.close();
  });

  it('refuses a snapshot that is not its own, rather than starting empty over it', () => {
    // Prepare
    writeFileSync(join(dir, 'snapshot.json'), '{"something":"else"}');

    // Act / Assess
    expect(() => new EntityLog(dir).open()).toThrow(CorruptStateError);
  });
});
