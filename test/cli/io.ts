import type { CliIo } from '../../src/cli/subcommand.js';

/** A `CliIo` that records lines. */
export function recordingIo(): CliIo & { readonly out_: string[]; readonly err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}
