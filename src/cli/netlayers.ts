import { tcpTestingOnlyNetlayer, TCP_TESTING_ONLY_TRANSPORT } from '../netlayer/tcp/tcp-testing-only.js';
import type { StreamFramingMode } from '../netlayer/tcp/stream-messages.js';
import type { Netlayer } from '../netlayer/types.js';
import type { WebSocketAuth } from '../netlayer/websocket/auth.js';
import { WEBSOCKET_TRANSPORT } from '../netlayer/websocket/client.js';
import { websocketNetlayer } from '../netlayer/websocket/node.js';
import { choice, type ParsedArgs } from './args.js';
import { UsageError } from './subcommand.js';

/**
 * The netlayers a CLI vat can use to reach a peer, by transport name. Add an
 * entry here when a new Node netlayer lands (WebSocket, …); `call` then
 * reaches peers on it with no other change.
 */
export interface CliNetlayerOptions {
  /** Stream framing (tcp-testing-only `framing`). Default `syrup`. */
  readonly framing: StreamFramingMode;
  /**
   * WebSocket peer-auth form (websocket `auth`). Default `typed`. `legacy`
   * (Goblins ≤ 0.17) also turns on `legacyPeerAuth` for the listener,
   * explicitly: such a CLI vat answers unlabelled 64-byte challenges too.
   */
  readonly websocketAuth: WebSocketAuth;
}

/** The netlayer flags `test-peer` and `call` take (each a netlayer option, not a dialect knob). */
export const NETLAYER_FLAGS = ['framing', 'websocket-auth'] as const;

export const NETLAYER_USAGE = [
  '  --framing none|syrup    tcp-testing-only stream framing (default syrup)',
  '  --websocket-auth typed|legacy',
  '                          websocket peer-auth form (default typed; legacy is',
  '                          Goblins ≤ 0.17)',
].join('\n');

export function netlayerOptionsFromArgs(parsed: ParsedArgs): CliNetlayerOptions {
  return {
    framing: choice<StreamFramingMode>(parsed, 'framing', ['none', 'syrup'], 'syrup'),
    websocketAuth: choice<WebSocketAuth>(parsed, 'websocket-auth', ['typed', 'legacy'], 'typed'),
  };
}

const FACTORIES: Readonly<Record<string, (options: CliNetlayerOptions) => Netlayer>> = {
  [TCP_TESTING_ONLY_TRANSPORT]: ({ framing }) => tcpTestingOnlyNetlayer({ host: '127.0.0.1', port: 0, framing }),
  [WEBSOCKET_TRANSPORT]: ({ websocketAuth }) => websocketNetlayer({ host: '127.0.0.1', port: 0, auth: websocketAuth, legacyPeerAuth: websocketAuth === 'legacy' }),
};

export const CLI_TRANSPORTS: readonly string[] = Object.keys(FACTORIES);

/** A fresh netlayer for `transport`; a `UsageError` naming the ones we have when there is none. */
export function cliNetlayerFor(transport: string, options: CliNetlayerOptions): Netlayer {
  const make = Object.hasOwn(FACTORIES, transport) ? FACTORIES[transport] : undefined;
  if (!make) throw new UsageError(`no netlayer for transport "${transport}" (this build has: ${CLI_TRANSPORTS.join(', ')})`);
  return make(options);
}
