import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.ts';
import { enableExpiringCheck } from './helpers/expiring-check.ts';
import { useCliHarness } from './helpers/local-aws.ts';
import { startDirect, waitForRecordStatus } from './helpers/start-execution.ts';

const ESC = '\u001b';

const h = useCliHarness();
beforeAll(async () => {
  // Prepare: one rotation that succeeded and one that failed, both started by hand.
  const ok = await h().provision('fmt-ok');
  const bad = await h().provision('fmt-bad');
  h().plan.set('fmt-bad', 'fail');
  await startDirect(h(), 'fmt-ok', ok.certificateId, 'manual', 'SUCCEEDED');
  await startDirect(h(), 'fmt-bad', bad.certificateId, 'manual', 'FAILED');
  await waitForRecordStatus(h(), 'fmt-ok', 'SUCCEEDED');
  await waitForRecordStatus(h(), 'fmt-bad', 'FAILED');
  await enableExpiringCheck(h());
});

/** The records of text output: each line split at its tabs. */
const records = (stdout: string): string[][] =>
  stdout === '' ? [] : stdout.split('\n').map((line) => line.split('\t'));

describe('--output text', () => {
  const commands: string[][] = [
    ['status'],
    ['rotations', 'list'],
    ['rotations', 'show', 'fmt-bad'],
    ['report', '--campaign', 'manual'],
    ['campaigns'],
    ['pacing'],
    ['escalations'],
    ['local', 'status'],
    ['audit', 'run', '--check', 'expiring', '--wait-campaign', '0'],
    ['rotate', 'fmt-ok', '--dry-run'],
    ['redrive', '--failed', '--dry-run'],
  ];

  it.each(
    commands.map((argv) => [argv.join(' '), argv]),
  )('%s: one tab-separated record a line, its kind first, the same fields for each kind, no colour', async (_name, argv) => {
    // Act: as at a terminal, where tables would be coloured.
    const result = await h().run([...(argv as string[]), '--output', 'text'], {}, { stdoutIsTTY: true });
    // Assess
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).not.toContain(ESC);
    const fieldsByKind = new Map<string, number>();
    for (const fields of records(result.stdout)) {
      const [kind] = fields;
      expect(kind).toMatch(/^[A-Z_]+$/);
      expect(fields.every((field) => field !== '')).toBe(true);
      fieldsByKind.set(kind ?? '', fieldsByKind.get(kind ?? '') ?? fields.length);
      expect(fields.length).toBe(fieldsByKind.get(kind ?? ''));
    }
  });

  it('gives scripts the rows and full values the tables show', async () => {
    // Act
    const listed = records((await h().run(['rotations', 'list', '--output', 'text'])).stdout);
    const status = records((await h().run(['status', '--output', 'text'])).stdout);
    const shown = records((await h().run(['rotations', 'show', 'fmt-bad', '--output', 'text'])).stdout);
    const json = JSON.parse((await h().run(['rotations', 'show', 'fmt-bad', '--json'])).stdout);
    // Assess: thing and status in fixed places; a certificate id whole, not cut to 12 characters.
    expect(listed.map((r) => [r[0], r[1], r[2]]).sort()).toEqual([
      ['ROTATION', 'fmt-bad', 'FAILED'],
      ['ROTATION', 'fmt-ok', 'SUCCEEDED'],
    ]);
    expect(listed.find((r) => r[1] === 'fmt-bad')?.[8]).toBe(json.record.oldCertificateId);
    expect(status).toContainEqual(['COUNT', 'FAILED', '1']);
    expect(status).toContainEqual(['COUNT', 'SUCCEEDED', '1']);
    expect(status.filter((r) => r[0] === 'FAILURE').map((r) => r[1])).toEqual(['fmt-bad']);
    expect(shown[0]?.slice(0, 3)).toEqual(['ROTATION', 'fmt-bad', 'FAILED']);
    expect(shown.at(-1)?.[0]).toBe('NEXT_STEP');
    expect(shown.at(-1)?.[1]).toContain('recert redrive fmt-bad');
  });

  it('is refused with --json, and where a command has no such output', async () => {
    // Act
    const both = await h().run(['status', '--json', '--output', 'text']);
    const csv = await h().run(['status', '--output', 'csv']);
    // Assess
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toContain('--json contradicts --output text');
    expect(csv.code).toBe(EXIT.usage);
    expect(csv.stderr).toContain('is not one of table, json, text');
  });
});

describe('colour', () => {
  const coloured: string[][] = [
    ['status'],
    ['rotations', 'list'],
    ['rotations', 'show', 'fmt-bad'],
    ['report', '--campaign', 'manual'],
  ];

  it.each(
    coloured.map((argv) => [argv.join(' '), argv]),
  )('%s: FAILED in red at a terminal, never with NO_COLOR, in a pipe, or in json/csv', async (_name, argv) => {
    const args = argv as string[];
    // Act
    const tty = await h().run(args, {}, { stdoutIsTTY: true });
    const noColor = await h().run(args, { NO_COLOR: '1' }, { stdoutIsTTY: true });
    const piped = await h().run(args);
    const json = await h().run([...args, '--json'], {}, { stdoutIsTTY: true });
    // Assess
    expect(tty.code).toBe(EXIT.ok);
    expect(tty.stdout).toMatch(new RegExp(`${ESC}\\[31mFAILED`));
    for (const plain of [noColor, piped, json]) expect(plain.stdout).not.toContain(ESC);
  });

  it('colours a success green and keeps the columns aligned', async () => {
    // Act
    const tty = await h().run(['status'], {}, { stdoutIsTTY: true });
    const plain = await h().run(['status']);
    // Assess: stripped of its colour codes, the table is the one printed to a pipe.
    expect(tty.stdout).toMatch(new RegExp(`${ESC}\\[32mSUCCEEDED`));
    const csv = await h().run(
      ['report', '--campaign', 'manual', '--output', 'csv'],
      {},
      { stdoutIsTTY: true },
    );
    expect(csv.stdout).not.toContain(ESC);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes are what is removed
    expect(tty.stdout.replace(/\u001b\[\d+m/g, '')).toBe(plain.stdout);
  });
});
