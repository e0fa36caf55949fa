import { createVat } from '../../mesh/index.js';
import { parseSturdyRef } from '../../mesh/uri.js';
import { Sym } from '../../syrup/types.js';
import { fromHex } from '../../util/bytes.js';
import { isCapmeshError } from '../../util/errors.js';
import { E } from '../../vat/index.js';
import type { SturdyRef } from '../../wire/index.js';
import { integer, parseArgs, type Positional } from '../args.js';
import { DIALECT_BOOLEAN_FLAGS, DIALECT_USAGE, DIALECT_VALUE_FLAGS, dialectFromArgs } from '../dialect-flags.js';
import { formatResult, formatValue } from '../format.js';
import { CLI_TRANSPORTS, NETLAYER_FLAGS, NETLAYER_USAGE, cliNetlayerFor, netlayerOptionsFromArgs } from '../netlayers.js';
import { UsageError, type CliIo, type Subcommand } from '../subcommand.js';

const USAGE = `Usage: capmesh call <sturdyref-uri> <method> [args…] [options]

Enlivens the sturdyref, sends it <method> with the arguments, prints the
result and exits 0. If the answer breaks, prints the error's code and message
to stderr and exits 1. Transports: ${CLI_TRANSPORTS.join(', ')}.

  <method>       sent as the leading symbol; "-" calls the object itself
  arguments      42, -7 → integers; true, false → booleans; anything else → a string
  --sym X        X is a symbol
  --str X        X is a string, even if it looks like a number or boolean
  --bytes HEX    a byte string

Options:
  --timeout MS            give up after MS milliseconds (default 10000)
${DIALECT_USAGE}
${NETLAYER_USAGE}

Example, against \`capmesh test-peer\` (it prints its sturdyrefs on stderr):
  capmesh call 'ocapn://<designator>.tcp-testing-only/s/SU81OGwxbGFUeWhjcmdES2JFekZPTzMyTURkNnpFNXc?host=127.0.0.1&port=22046' \\
    - hello 42 --sym ok --dialect suite-2026-02 --framing none
  ["hello" 42 'ok]`;

/** One command-line argument as the value to send. */
export function argumentValue(arg: Positional): unknown {
  switch (arg.marker) {
    case 'sym':
      if (arg.value.length === 0) throw new UsageError('--sym needs a non-empty name');
      return new Sym(arg.value);
    case 'str':
      return arg.value;
    case 'bytes':
      try {
        return fromHex(arg.value);
      } catch {
        throw new UsageError(`--bytes takes hex digits, got "${arg.value}"`);
      }
  }
  if (/^-?(0|[1-9][0-9]*)$/.test(arg.value)) return BigInt(arg.value);
  if (arg.value === 'true') return true;
  if (arg.value === 'false') return false;
  return arg.value;
}

/** `code: message` for whatever a broken answer carried. */
export function describeBreak(reason: unknown): string {
  if (isCapmeshError(reason)) return `${reason.code}: ${reason.message}`;
  if (reason instanceof Error) return `BROKEN: ${reason.message}`;
  return `BROKEN: ${formatValue(reason)}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class TimeoutError extends Error {}

export const callCommand: Subcommand = {
  name: 'call',
  summary: 'call a method on any OCapN object by its sturdyref and print the result',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['timeout', ...DIALECT_VALUE_FLAGS, ...NETLAYER_FLAGS], booleans: DIALECT_BOOLEAN_FLAGS, markers: ['sym', 'str', 'bytes'] });
    const [uriArg, methodArg, ...rest] = parsed.positionals;
    if (uriArg === undefined || methodArg === undefined) throw new UsageError('call needs a sturdyref URI and a method');
    if (uriArg.marker !== undefined || methodArg.marker !== undefined) throw new UsageError('markers apply to arguments only');
    let ref: SturdyRef;
    try {
      ref = parseSturdyRef(uriArg.value);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const method = methodArg.value === '-' ? undefined : methodArg.value;
    const values = rest.map(argumentValue);
    const timeoutMs = integer(parsed, 'timeout', 1, 86_400_000, 10_000);
    const { dialect, learnDialects } = dialectFromArgs(parsed);
    const netlayer = cliNetlayerFor(ref.peer.transport, netlayerOptionsFromArgs(parsed));
    const vat = await createVat({ netlayers: [netlayer], dialect, learnDialects });
    try {
      const answer = (async () => {
        const remote = await vat.enliven(ref);
        const proxy = E(remote) as unknown as ((...a: unknown[]) => Promise<unknown>) & Record<string, (...a: unknown[]) => Promise<unknown>>;
        return method === undefined ? proxy(...values) : proxy[method]!(...values);
      })();
      const result = await withTimeout(answer, timeoutMs);
      io.out(formatResult(result));
      return 0;
    } catch (e) {
      io.err(e instanceof TimeoutError ? `TIMEOUT: ${e.message}` : describeBreak(e));
      return 1;
    } finally {
      await vat.close();
    }
  },
};
