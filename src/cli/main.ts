/**
 * The `capmesh` command line. Each subcommand lives in its own file and is
 * registered here; `main` returns the process exit code and never calls
 * `process.exit` itself, so subcommands can finish their cleanup.
 */

export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

const subcommands: Subcommand[] = [];

/** Adds a subcommand; used by the files that implement them. */
export function registerSubcommand(command: Subcommand): void {
  subcommands.push(command);
}

function usage(): string {
  const lines = ['Usage: capmesh <command> [options]', '', 'Commands:'];
  if (subcommands.length === 0) lines.push('  (none yet in this build)');
  for (const c of subcommands) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', 'Options:', '  -h, --help   show this help (or `capmesh <command> --help`)', '  --version    print the version');
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    console.log(usage());
    return first === undefined ? 1 : 0;
  }
  if (first === '--version') {
    console.log(VERSION);
    return 0;
  }
  const command = subcommands.find((c) => c.name === first);
  if (!command) {
    console.error(`capmesh: unknown command \`${first}\`\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  return command.run(rest);
}

export const VERSION = '0.1.0';
