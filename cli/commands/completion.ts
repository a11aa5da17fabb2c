import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { commandEntries } from './index.ts';

const GLOBAL_FLAGS = ['--local', '--state-dir', '--stack', '--region', '--json', '--output', '--help'];

/** A bash completion function over recert's commands, subcommands and common flags (static: no start-up per Tab). */
function bashScript(): string {
  const entries = commandEntries();
  const top = [...new Set([...entries.map((e) => e.path[0] ?? ''), 'device', 'help', 'completion'])].sort();
  const subs = new Map<string, string[]>();
  for (const e of entries) {
    const [first, second] = e.path;
    if (first !== undefined && second !== undefined) subs.set(first, [...(subs.get(first) ?? []), second]);
  }
  subs.set('local', ['up', 'down', 'status']);
  subs.set('completion', ['bash', 'zsh']);
  const cases = [...subs].map(([first, words]) => `    ${first}) words="${words.join(' ')}" ;;`).join('\n');
  return `# recert completion (bash). Load it with: source <(recert completion bash)
_recert() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${GLOBAL_FLAGS.join(' ')}" -- "$cur"))
    return
  fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    words="${top.join(' ')}"
  elif [[ $COMP_CWORD -eq 2 ]]; then
    case "\${COMP_WORDS[1]}" in
${cases}
      help) words="${top.join(' ')}" ;;
      *) words="" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _recert recert`;
}

export const completionCommand: Command = {
  help: `Usage: recert completion bash|zsh

Prints a shell completion script for recert's commands, subcommands and flags.

Examples:
  source <(recert completion bash)               # in ~/.bashrc
  source <(recert completion zsh)                # in ~/.zshrc`,
  async run(args, context) {
    const [shell, ...rest] = args;
    if (shell === '--help' || shell === '-h') {
      context.io.stdout(this.help);
      return EXIT.ok;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    if (shell === 'bash') context.io.stdout(bashScript());
    else if (shell === 'zsh')
      context.io.stdout(`autoload -U +X bashcompinit && bashcompinit\n${bashScript()}`);
    else
      throw new UsageError(
        `completion needs a shell: bash or zsh${shell ? `, not ${JSON.stringify(shell)}` : ''}`,
      );
    return EXIT.ok;
  },
};
