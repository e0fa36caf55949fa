import { jsonLineLogger, parseRelayArgs, RELAY_USAGE, startRelay, type RelayServer } from '../../../relay/index.js';
import { isCapmeshError } from '../../util/errors.js';
import { UsageError, type CliIo, type Subcommand } from '../subcommand.js';
import { untilSignal } from '../signals.js';

/**
 * `capmesh relay`: runs the relay until SIGINT/SIGTERM. Prints its
 * `ws://host:port` URL as the first line of stdout; JSON-line logs go to
 * stderr. Exit code 0 after a clean shutdown, 1 when it cannot start (port
 * in use…), 2 for bad flags.
 */
export const relayCommand: Subcommand = {
  name: 'relay',
  summary: 'run a relay: registration, signalling and end-to-end encrypted fallback for vats',
  usage: RELAY_USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    let parsed;
    try {
      parsed = parseRelayArgs(args);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const signalled = untilSignal();
    let relay: RelayServer;
    try {
      relay = await startRelay({
        host: parsed.host,
        port: parsed.port,
        limits: parsed.limits,
        log: jsonLineLogger(io.err, parsed.logLevel),
        ...(parsed.publicUrls ? { publicUrls: parsed.publicUrls } : {}),
        ...(parsed.allowDialOnly !== undefined ? { allowDialOnly: parsed.allowDialOnly } : {}),
        ...(parsed.turn !== undefined ? { turn: parsed.turn } : {}),
        ...(parsed.cluster ? { cluster: parsed.cluster } : {}),
      });
    } catch (e) {
      signalled.cancel();
      io.err(`capmesh relay: ${isCapmeshError(e) ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
    io.out(relay.url);
    await signalled.promise;
    await relay.close();
    return 0;
  },
};
