/**
 * Exit codes scripts can rely on. They are part of the command's interface: documented in
 * `recert --help` and never renumbered.
 */
export const EXIT = {
  /** Everything asked for was done (or was already done). */
  ok: 0,
  /** An operation failed, or some items of a batch did. */
  failed: 1,
  /** The command line is wrong: unknown command or flag, malformed ARN or thing name. */
  usage: 2,
  /** The target cannot be reached: local AWS not running, no AWS credentials, stack not deployed. */
  unavailable: 3,
  /** The thing, rotation or execution asked for does not exist. */
  notFound: 4,
  /** The operation is refused because it would be unsafe or cannot apply (e.g. not redrivable). */
  refused: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok (or already done)
  1  an operation failed (for a batch: at least one item failed)
  2  usage error: unknown command or flag, malformed argument
  3  target unavailable: local AWS not running, no AWS credentials, stack not found
  4  not found: unknown thing, rotation or execution
  5  refused: the operation cannot apply here (e.g. not redrivable, rotation already finished)`;
