import { createVat, formatPeerUri, jsonLineLogger, type Vat, type VatLimits } from '../../mesh/index.js';
import { DEFAULT_SHELL_LIMITS } from '../../mesh/connection-shell.js';
import { DEFAULT_HANDOFF_LIMITS } from '../../mesh/handoff-limits.js';
import { SESSION_LIMIT_NAMES } from '../../captp/index.js';
import { DEFAULT_SYRUP_LIMITS } from '../../syrup/types.js';
import {
  DEFAULT_TCP_FIRST_MESSAGE_TIMEOUT_MS,
  DEFAULT_TCP_MAX_MESSAGE_BYTES,
  DEFAULT_TCP_PARTIAL_MESSAGE_TIMEOUT_MS,
  tcpTestingOnlyNetlayer,
} from '../../netlayer/tcp/tcp-testing-only.js';
import { isCapmeshError } from '../../util/errors.js';
import type { Dialect } from '../../wire/index.js';
import type { StreamFramingMode } from '../../netlayer/tcp/stream-messages.js';
import { integer, parseArgs } from '../args.js';
import { DIALECT_BOOLEAN_FLAGS, DIALECT_USAGE, DIALECT_VALUE_FLAGS, dialectFromArgs } from '../dialect-flags.js';
import { netlayerOptionsFromArgs } from '../netlayers.js';
import { gcRequester, obtainGc } from '../gc.js';
import { UsageError, type CliIo, type Subcommand } from '../subcommand.js';
import { registerSuiteObjects, type SuiteObjectName } from '../test-peer-objects.js';
import { untilSignal } from '../signals.js';

const USAGE = `Usage: capmesh test-peer [options]

Runs a vat on the tcp-testing-only netlayer hosting the OCapN test suite's five
objects under their well-known swiss numbers. Prints the peer URI on the first
line of stdout (the sturdyrefs go to stderr), then serves until SIGINT/SIGTERM.
As the suite expects, it believes the designator an inbound tcp-testing-only
hello claims (and reuses that session for its own calls): testing only.

Options:
  --host ADDR             listen address and host hint (default 127.0.0.1)
  --port N                listen port, 0 for any free one (default 22046)
  --designator TEXT       our designator (default: the vat's own, base32 of its key)
  --first-message-timeout-ms N
                          end a connection whose peer sends no whole first
                          message in N ms (default 10000)
  --partial-message-timeout-ms N
                          end a connection whose peer leaves a started message
                          unfinished for N ms (default 30000)
  --max-message-bytes N   largest message accepted (default 16777216)
${DIALECT_USAGE}
  --framing none|syrup    stream framing (default syrup)
  --limits JSON           the vat's limits and budgets (VatLimits), e.g.
                          '{"maxQueuedMessages":100,"maxUnsentBytes":2097152}';
                          unknown names or values that are not positive integers
                          are refused (for abuse tests: small budgets trip fast)
  --verbose               log sessions and messages to stderr as JSON lines

For the suite at 6c146dc (main, early 2026):
  capmesh test-peer --dialect suite-2026-02 --framing none
For branch remove-op-deliver-only (5bfcde9):
  capmesh test-peer --dialect endo --gc-form singular-list --framing none`;

export interface TestPeerOptions {
  readonly host: string;
  readonly port: number;
  readonly designator?: string;
  /** The vat's default dialect. */
  readonly dialect: Dialect;
  /** `VatOptions.learnDialects` (default true). */
  readonly learnDialects?: boolean;
  /** The tcp-testing-only netlayer's `framing`. */
  readonly framing: StreamFramingMode;
  /** tcp-testing-only `firstMessageTimeoutMs` (default 10 000). */
  readonly firstMessageTimeoutMs?: number;
  /** tcp-testing-only `partialMessageTimeoutMs` (default 30 000). */
  readonly partialMessageTimeoutMs?: number;
  /** tcp-testing-only `maxMessageBytes` (default 16 MiB). */
  readonly maxMessageBytes?: number;
  /** Passed to `createVat` as `limits`. */
  readonly limits?: VatLimits;
  readonly log?: (line: string) => void;
}

export interface TestPeer {
  readonly vat: Vat;
  /** `ocapn://<designator>.tcp-testing-only?host=…&port=…` */
  readonly uri: string;
  readonly sturdyRefs: Record<SuiteObjectName, string>;
  close(): Promise<void>;
}

/** Starts the test peer's vat (in this process). */
export async function startTestPeer(options: TestPeerOptions): Promise<TestPeer> {
  const gc = obtainGc();
  const requestGc = gc ? gcRequester(gc) : undefined;
  const netlayer = tcpTestingOnlyNetlayer({
    host: options.host,
    port: options.port,
    framing: options.framing,
    ...(options.designator !== undefined ? { designator: options.designator } : {}),
    ...(options.firstMessageTimeoutMs !== undefined ? { firstMessageTimeoutMs: options.firstMessageTimeoutMs } : {}),
    ...(options.partialMessageTimeoutMs !== undefined ? { partialMessageTimeoutMs: options.partialMessageTimeoutMs } : {}),
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
  });
  const vat = await createVat({
    netlayers: [netlayer],
    dialect: options.dialect,
    ...(options.learnDialects !== undefined ? { learnDialects: options.learnDialects } : {}),
    // The suite dials us and expects its sessions to be reused for our dials to it (handoffs,
    // crossed hellos): believe tcp-testing-only claims, which a test peer may.
    trustClaimsOn: [netlayer.transport],
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.log ? { logger: jsonLineLogger(options.log, 'debug') } : {}),
  });
  try {
    const sturdyRefs = await registerSuiteObjects(vat, {
      enliven: (ref) => vat.enliven(ref),
      ...(requestGc ? { requestGc } : {}),
    });
    return { vat, uri: formatPeerUri(vat.locators()[0]!), sturdyRefs, close: () => vat.close() };
  } catch (e) {
    await vat.close();
    throw e;
  }
}

export const testPeerCommand: Subcommand = {
  name: 'test-peer',
  summary: "host the OCapN test suite's five objects on tcp-testing-only",
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, {
      values: ['host', 'port', 'designator', 'limits', 'first-message-timeout-ms', 'partial-message-timeout-ms', 'max-message-bytes', ...DIALECT_VALUE_FLAGS, 'framing'],
      booleans: ['verbose', ...DIALECT_BOOLEAN_FLAGS],
    });
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]!.value}"`);
    const { dialect, learnDialects } = dialectFromArgs(parsed);
    const { framing } = netlayerOptionsFromArgs(parsed);
    const designator = parsed.values.get('designator');
    const limitsText = parsed.values.get('limits');
    const options: TestPeerOptions = {
      host: parsed.values.get('host') ?? '127.0.0.1',
      port: integer(parsed, 'port', 0, 65535, 22046),
      dialect,
      learnDialects,
      framing,
      ...(designator !== undefined ? { designator } : {}),
      firstMessageTimeoutMs: integer(parsed, 'first-message-timeout-ms', 1, 2 ** 31 - 1, DEFAULT_TCP_FIRST_MESSAGE_TIMEOUT_MS),
      partialMessageTimeoutMs: integer(parsed, 'partial-message-timeout-ms', 1, 2 ** 31 - 1, DEFAULT_TCP_PARTIAL_MESSAGE_TIMEOUT_MS),
      maxMessageBytes: integer(parsed, 'max-message-bytes', 1, 2 ** 31 - 1, DEFAULT_TCP_MAX_MESSAGE_BYTES),
      ...(limitsText !== undefined ? { limits: parseLimits(limitsText) } : {}),
      ...(parsed.booleans.has('verbose') ? { log: io.err } : {}),
    };
    const onRejection = (reason: unknown): void => {
      io.err(`test-peer: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
    };
    process.on('unhandledRejection', onRejection);
    // Listen for signals before the URI is out: whoever reads it may signal at once.
    const signalled = untilSignal();
    try {
      let peer: TestPeer;
      try {
        peer = await startTestPeer(options);
      } catch (e) {
        io.err(`capmesh test-peer: ${isCapmeshError(e) ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`);
        signalled.cancel();
        return 1;
      }
      io.err(
        `test-peer: dialect ${dialect.name} (gc ${dialect.gcForm}, fire-and-forget ${dialect.fireAndForget}${learnDialects ? '' : ', fixed'}), framing ${framing}`,
      );
      for (const [name, uri] of Object.entries(peer.sturdyRefs)) io.err(`  ${name.padEnd(20)} ${uri}`);
      io.out(peer.uri);
      const signal = await signalled.promise;
      io.err(`test-peer: ${signal}, shutting down`);
      await peer.close();
      return 0;
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  },
};

/** Every `VatLimits` name `--limits` accepts. */
const LIMIT_NAMES: ReadonlySet<string> = new Set([
  ...SESSION_LIMIT_NAMES,
  ...Object.keys(DEFAULT_SYRUP_LIMITS),
  ...Object.keys(DEFAULT_SHELL_LIMITS),
  ...Object.keys(DEFAULT_HANDOFF_LIMITS),
  'maxInboundSessions',
  'maxUnprovenSessionsPerDesignator',
  'maxInboundSessionsPerSource',
  'maxFrameBytes',
]);

/** `--limits` text → `VatLimits`; a `UsageError` for anything but an object of known names with positive integer values. */
export function parseLimits(text: string): VatLimits {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('--limits must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--limits must be a JSON object');
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(value)) {
    if (!LIMIT_NAMES.has(name)) throw new UsageError(`--limits: unknown limit "${name}"`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--limits: ${name} must be a positive integer`);
    out[name] = n;
  }
  return out as VatLimits;
}
