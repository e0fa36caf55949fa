import { tcpTestingOnlyNetlayer, TCP_TESTING_ONLY_TRANSPORT } from '../netlayer/tcp/tcp-testing-only.js';
import type { Netlayer } from '../netlayer/types.js';
import { WEBSOCKET_TRANSPORT } from '../netlayer/websocket/client.js';
import { websocketNetlayer } from '../netlayer/websocket/node.js';
import type { StreamFraming, WebSocketAuth } from '../wire/index.js';
import { UsageError } from './subcommand.js';

/**
 * The netlayers a CLI vat can use to reach a peer, by transport name. Add an
 * entry here when a new Node netlayer lands (WebSocket, …); `call` then
 * reaches peers on it with no other change.
 */
export interface CliNetlayerOptions {
  /** Stream framing (tcp-testing-only). */
  readonly framing: StreamFraming;
  /**
   * WebSocket peer-auth form. `legacy` (the `goblins-0.17`-style dialect
   * override) also turns on `legacyPeerAuth` for the listener, explicitly:
   * such a CLI vat answers unlabelled 64-byte challenges too.
   */
  readonly websocketAuth: WebSocketAuth;
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
