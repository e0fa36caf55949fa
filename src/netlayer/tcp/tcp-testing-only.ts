import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { assert, assertInteger, assertNonEmptyString } from '../../util/assert.js';
import { CapmeshError } from '../../util/errors.js';
import type { SyrupLimits } from '../../syrup/types.js';
import { NetlayerState } from '../netlayer-state.js';
import type { PeerLocator } from '../../wire/index.js';
import type { StreamFramingMode } from './stream-messages.js';
import { TcpConnection } from './connection.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';

/** The transport name of `tcp-testing-only` locators. */
export const TCP_TESTING_ONLY_TRANSPORT = 'tcp-testing-only';

/** Default largest message: 16 MiB. */
export const DEFAULT_TCP_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface TcpTestingOnlyOptions {
  /** Address to listen on, and the `host` hint we advertise. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks a free one. The bound port is the `port` hint. */
  readonly port?: number;
  /**
   * `syrup` (default): every message prefixed as a Syrup byte string
   * (`<len>:`), as the framing agreed in 2026 and test-suite `31f0b80` want.
   * `none`: raw Syrup values back to back, as suite revisions `6c146dc` and
   * `74db78f` and older peers speak.
   */
  readonly framing?: StreamFramingMode;
  /** Our designator: any string. Default: the vat's own designator, so URIs stay the same across restarts with a stored identity. */
  readonly designator?: string;
  /** Largest message accepted from a peer; a larger one ends that connection. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Syrup limits applied while finding message boundaries in `none` framing (depth, string and integer sizes). */
  readonly limits?: SyrupLimits;
  /** How long a connection we closed keeps draining the peer's bytes before the socket is destroyed. Default 2000 ms. */
  readonly lingerMs?: number;
  /** How long `connect` waits for the TCP handshake. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a connection (accepted or dialled) waits for the peer's first
   * whole message — its `op:start-session` — counted from the socket's start.
   * Until then no session exists, so this is also the cap on a connection
   * that is idle before its session: it stops a peer from holding sockets by
   * connecting and saying nothing. When it passes the connection ends with
   * kind `error`, code `TIMEOUT` (and `canSend`, so our side can `op:abort`).
   * Default 10 000 ms.
   */
  readonly firstMessageTimeoutMs?: number;
  /**
   * How long one message may stay unfinished once its first byte arrived
   * (a frame header or payload, or a Syrup value in `none` framing). When it
   * passes the connection ends with code `TIMEOUT` as above. It bounds a peer
   * trickling a large frame; at the default a 16 MiB message needs about
   * 560 KB/s. Default 30 000 ms.
   */
  readonly partialMessageTimeoutMs?: number;
}

/** Default `firstMessageTimeoutMs`: 10 s. */
export const DEFAULT_TCP_FIRST_MESSAGE_TIMEOUT_MS = 10_000;
/** Default `partialMessageTimeoutMs`: 30 s. */
export const DEFAULT_TCP_PARTIAL_MESSAGE_TIMEOUT_MS = 30_000;

/**
 * The `tcp-testing-only` netlayer (Node only): plain TCP, no encryption, no
 * authentication — the OCapN test suite's convention (notes §6), for tests and
 * interop checks, never for production.
 *
 * Locators: transport `tcp-testing-only`, our designator, hints
 * `{host, port}` (both strings). `attach` starts listening and resolves once
 * the port is bound; `connect` dials a locator's `host`/`port` hints and
 * resolves once TCP is up (rejects with `DISCONNECTED` if it cannot, or with
 * `INVALID_ARGUMENT` for a locator without usable hints). `close` stops
 * listening and closes every connection after flushing what was written.
 *
 * Hygiene (see `TcpConnection`): a declared frame length is never allocated
 * before its bytes arrive; over `maxMessageBytes` is refused at the header;
 * garbage ends the connection with `FRAMING`, after the session could send
 * `op:abort`; `firstMessageTimeoutMs` and `partialMessageTimeoutMs` end
 * connections that say nothing or park a started message (`TIMEOUT`).
 */
export function tcpTestingOnlyNetlayer(options: TcpTestingOnlyOptions = {}): Netlayer {
  return new TcpTestingOnlyNetlayer(options);
}

class TcpTestingOnlyNetlayer implements Netlayer {
  readonly transport = TCP_TESTING_ONLY_TRANSPORT;
  readonly #host: string;
  readonly #port: number;
  #designator: string | undefined;
  readonly #connectionOptions: ConstructorParameters<typeof TcpConnection>[3];
  readonly #connectTimeoutMs: number;
  readonly #state = new NetlayerState<TcpConnection>(TCP_TESTING_ONLY_TRANSPORT);
  readonly #pendingSockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(options: TcpTestingOnlyOptions) {
    assert(typeof options === 'object' && options !== null, 'options', 'an object', options);
    this.#host = options.host ?? '127.0.0.1';
    assertNonEmptyString(this.#host, 'options.host');
    this.#port = options.port ?? 0;
    assertInteger(this.#port, 'options.port', 0, 65535);
    const framing = options.framing ?? 'syrup';
    assert(framing === 'none' || framing === 'syrup', 'options.framing', '"none" or "syrup"', framing);
    this.#designator = options.designator;
    if (this.#designator !== undefined) assertNonEmptyString(this.#designator, 'options.designator');
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_TCP_MAX_MESSAGE_BYTES;
    assertInteger(maxMessageBytes, 'options.maxMessageBytes', 1);
    const lingerMs = options.lingerMs ?? 2000;
    assertInteger(lingerMs, 'options.lingerMs', 0);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    assertInteger(this.#connectTimeoutMs, 'options.connectTimeoutMs', 1);
    const firstMessageTimeoutMs = options.firstMessageTimeoutMs ?? DEFAULT_TCP_FIRST_MESSAGE_TIMEOUT_MS;
    assertInteger(firstMessageTimeoutMs, 'options.firstMessageTimeoutMs', 1);
    const partialMessageTimeoutMs = options.partialMessageTimeoutMs ?? DEFAULT_TCP_PARTIAL_MESSAGE_TIMEOUT_MS;
    assertInteger(partialMessageTimeoutMs, 'options.partialMessageTimeoutMs', 1);
    this.#connectionOptions = {
      transport: TCP_TESTING_ONLY_TRANSPORT,
      framing,
      lingerMs,
      firstMessageTimeoutMs,
      partialMessageTimeoutMs,
      maxMessageBytes,
      ...(options.limits ? { limits: options.limits } : {}),
    };
  }

  async attach(binding: NetlayerBinding): Promise<NetlayerAttachment> {
    this.#state.bind(binding);
    this.#designator ??= binding.designator;
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new CapmeshError('DISCONNECTED', `cannot listen on ${this.#host}:${this.#port}: ${error.message}`, { cause: error }));
      };
      server.once('error', onError);
      server.listen(this.#port, this.#host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // A listening server that fails later has nothing useful to tell the vat; keep it from crashing the process.
    server.on('error', () => {});
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.#port;
    return { designator: this.#designator!, hints: { host: this.#host, port: String(port) } };
  }

  async connect(locator: PeerLocator): Promise<Connection> {
    await null;
    if (typeof locator !== 'object' || locator === null || locator.transport !== TCP_TESTING_ONLY_TRANSPORT) {
      throw new CapmeshError(
        'INVALID_ARGUMENT',
        `the tcp-testing-only netlayer dials only "${TCP_TESTING_ONLY_TRANSPORT}" locators, got ${JSON.stringify(locator?.transport)}`,
      );
    }
    const { host, port } = dialAddress(locator);
    this.#state.assertOpen();
    const socket = netConnect({ host, port });
    this.#pendingSockets.add(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new CapmeshError('DISCONNECTED', `timed out connecting to ${host}:${port}`));
        }, this.#connectTimeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(new CapmeshError('DISCONNECTED', `cannot connect to ${host}:${port}: ${error.message}`, { cause: error }));
        });
      });
    } finally {
      this.#pendingSockets.delete(socket);
    }
    if (this.#state.closed) socket.destroy();
    this.#state.assertOpen();
    return this.#state.adoptOutbound(this.#connection(socket, true, locator));
  }

  async close(): Promise<void> {
    const live = this.#state.shutDown();
    if (live === undefined) return;
    for (const socket of this.#pendingSockets) socket.destroy();
    const server = this.#server;
    const serverClosed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    await Promise.all(live.map((c) => c.shutdown()));
    await serverClosed;
  }

  #accept(socket: Socket): void {
    if (this.#state.closed || this.#state.binding === undefined) {
      socket.destroy();
      return;
    }
    this.#state.adoptInbound(this.#connection(socket, false, undefined));
  }

  #connection(socket: Socket, outbound: boolean, locator: PeerLocator | undefined): TcpConnection {
    return new TcpConnection(socket, outbound, locator, this.#connectionOptions, (c) => this.#state.forget(c));
  }
}

/** The `host`/`port` hints of a locator, checked. */
function dialAddress(locator: PeerLocator): { host: string; port: number } {
  const hints = locator.hints ?? {};
  const host = hints['host'] ?? '127.0.0.1';
  const portText = hints['port'];
  if (typeof portText !== 'string' || !/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new CapmeshError('INVALID_ARGUMENT', `a tcp-testing-only locator needs a "port" hint between 1 and 65535, got ${JSON.stringify(portText)}`);
  }
  if (typeof host !== 'string' || host.length === 0) {
    throw new CapmeshError('INVALID_ARGUMENT', 'a tcp-testing-only locator has an empty "host" hint');
  }
  return { host, port: Number(portText) };
}
