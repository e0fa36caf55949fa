/**
 * What a `capmesh` subcommand is. Kept apart from `main.ts` so command files
 * and the registry import this, never each other.
 */

/** Where a command writes. `main` uses the console; tests pass their own. */
export interface CliIo {
  /** One line of output (stdout). */
  out(line: string): void;
  /** One line of diagnostics (stderr). */
  err(line: string): void;
}

export interface Subcommand {
  readonly name: string;
  /** One line for `capmesh --help`. */
  readonly summary: string;
  /** The full text for `capmesh <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves with the process exit code (0 ok, 1 failure, 2 usage error). */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const consoleIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
