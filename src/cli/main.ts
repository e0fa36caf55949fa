/**
 * The `capmesh` command line. Subcommands live in `commands/*.ts` and are
 * listed here (static imports; they import `subcommand.ts`, never this file).
 * `main` returns the process exit code and never calls `process.exit`, so a
 * command can finish its cleanup: 0 ok, 1 the command failed, 2 a usage error.
 */
import { callCommand } from './commands/call.js';
import { testPeerCommand } from './commands/test-peer.js';
import { relayCommand } from './commands/relay.js';
import { UsageError, consoleIo, type CliIo, type Subcommand } from './subcommand.js';

export type { CliIo, Subcommand } from './subcommand.js';

export const VERSION = '0.1.0';

export const SUBCOMMANDS: readonly Subcommand[] = Object.freeze([testPeerCommand, callCommand, relayCommand]);

function usage(): string {
  const lines = ['Usage: capmesh <command> [options]', '', 'Commands:'];
  for (const c of SUBCOMMANDS) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', 'Options:', '  -h, --help   show this help (or `capmesh <command> --help`)', '  --version    print the version');
  return lines.join('\n');
}

export async function main(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    (first === undefined ? io.err : io.out)(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') {
    io.out(VERSION);
    return 0;
  }
  const command = SUBCOMMANDS.find((c) => c.name === first);
  if (!command) {
    io.err(`capmesh: unknown command \`${first}\`\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`capmesh ${command.name}: ${e.message}\n\n${command.usage}`);
    return 2;
  }
}
