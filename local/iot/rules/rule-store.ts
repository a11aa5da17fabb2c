import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namedError } from '../../../lib/named-error.ts';
import { type StoredRule, StoredRuleSchema } from './rule-model.ts';

/** A stored rule file that could not be read back; the rule is skipped, the others load. */
export class RuleFileError extends namedError('RuleFileError') {}

/**
 * Topic rules on disk, one JSON file per rule in `<stateDir>/iot/rules/`, written through a
 * temporary file and a rename so a crash never leaves half a rule behind.
 */
export class RuleStore {
  constructor(readonly directory: string) {}

  static inStateDir(stateDir: string): RuleStore {
    return new RuleStore(join(stateDir, 'iot', 'rules'));
  }

  async load(): Promise<{ rules: StoredRule[]; errors: RuleFileError[] }> {
    await mkdir(this.directory, { recursive: true });
    const rules: StoredRule[] = [];
    const errors: RuleFileError[] = [];
    for (const file of (await readdir(this.directory)).sort()) {
      if (!file.endsWith('.json')) continue;
      const path = join(this.directory, file);
      try {
        const parsed = StoredRuleSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
        if (parsed.success) rules.push(parsed.data);
        else errors.push(new RuleFileError(`${path}: ${parsed.error.message}`));
      } catch (error) {
        errors.push(new RuleFileError(`${path}: ${String(error)}`, { cause: error }));
      }
    }
    return { rules, errors };
  }

  async save(rule: StoredRule): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const path = this.pathOf(rule.ruleName);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(rule, null, 2)}\n`);
    await rename(temporary, path);
  }

  async delete(ruleName: string): Promise<void> {
    await rm(this.pathOf(ruleName), { force: true });
  }

  private pathOf(ruleName: string): string {
    return join(this.directory, `${ruleName}.json`);
  }
}
