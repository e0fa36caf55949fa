import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { randomBytes } from '../src/crypto/index.js';
import { CapmeshError } from '../src/util/errors.js';
import { RELAY_CLOSE, normalizeRelayUrl } from '../src/netlayer/relay/protocol.js';
import { TokenBucket, addressKey, resolveRelayLimits, type RelayLimits } from './limits.js';
import { jsonLineLogger, type Logger } from '../src/util/logger.js';
import { RelayMetrics } from './metrics.js';
import { RelayPeer } from './peer.js';
import { RedisCluster, type RelayClusterHealth, type RelayClusterOptions } from './cluster/redis.js';
import { RelayRouter, closeSocket, type DataInterceptor, type SignalInterceptor } from './router.js';
import { TurnIssuer, wantsTurnCredentials, type RelayTurnOptions } from './turn.js';

export interface RelayOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 8787. */
  readonly port?: number;
  readonly limits?: Partial<RelayLimits>;
  /**
   * The URLs vats dial to reach this relay (`ws://…`/`wss://…`, e.g. the
   * `wss://` URL of the TLS proxy in front of it). A registration proof must
   * name one of them (normalised, `normalizeRelayUrl`), so a proof captured
   * by another relay is refused here. Never derived from a request's `Host`
   * header, which the client controls. In a cluster (`cluster`) each node
   * lists its own; the nodes announce them to each other and accept a proof
   * naming any live node's URL. Default: `defaultPublicUrls(host, port)` — the listen address, plus
   * `localhost` and `[::1]` forms on loopback. A client that dialled any other
   * URL is refused (`refused`, close 4003, `bad_registration`).
   */
  readonly publicUrls?: readonly string[];
  /**
   * Serve dial-only clients (connections that open circuits under a declared
   * designator without registering; see `relay/protocol.ts`). Default true;
   * when false a `dial-only` is refused like a bad registration.
   */
  readonly allowDialOnly?: boolean;
  /**
   * A TURN server sharing a secret with this relay: each registered vat that
   * asks (relay clients do by default) gets short-lived credentials for it
   * (see `relay/turn.ts`, docs/turn.md). Default: none, no `turn` messages.
   */
  readonly turn?: RelayTurnOptions;
  /**
   * Join a relay cluster through Redis (`capmesh relay --cluster redis://…`):
   * vats registered at any node reach each other, a proof naming any live
   * node's public URL is accepted, the newest registration of a designator
   * wins cluster-wide. See `RelayClusterOptions`, docs/deploy.md. Default:
   * a single relay.
   */
  readonly cluster?: RelayClusterOptions;
  /** Structured log sink. Default: JSON lines on stderr at `info`. */
  readonly log?: Logger;
  /** Clock for rate limiting (ms). Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * Test-only traffic hooks: see `DataInterceptor` and `SignalInterceptor`.
 * They are not relay options: only `startRelayWithTestHooks` (reached from
 * `capmesh/testing/playwright`'s `startTestRelay`) takes them, so a deployed
 * relay cannot be configured to rewrite traffic by mistake.
 */
export interface RelayTestHooks {
  readonly interceptData?: DataInterceptor;
  readonly interceptSignal?: SignalInterceptor;
}

export interface RelayStats {
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Open TCP connections, upgraded or not (what `maxConnections` counts). */
  readonly sockets: number;
  /** Times a sender was throttled (see `RelayRouter`). */
  readonly throttles: number;
  readonly registered: number;
  readonly circuits: number;
  /** Bytes queued for sending now, over all connections. */
  readonly bufferedBytes: number;
  readonly peakBufferedBytes: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly framesForwarded: number;
  readonly bytesForwarded: number;
}

export interface RelayServer {
  readonly host: string;
  readonly port: number;
  /** `ws://host:port` — what vats put in `relayNetlayer({ url })`. */
  readonly url: string;
  /** The normalised URLs a registration proof may name (see `RelayOptions.publicUrls`). */
  readonly publicUrls: readonly string[];
  readonly limits: RelayLimits;
  stats(): RelayStats;
  /** The `/metrics` text. */
  metricsText(): string;
  /** True when `designator` is registered now (at this node). */
  isRegistered(designator: string): boolean;
  /** The cluster as `/healthz` reports it; undefined for a single relay. */
  cluster(): RelayClusterHealth | undefined;
  /** Closes every connection (code 4011), stops listening. Resolves when the port is free. Idempotent. */
  close(): Promise<void>;
}

/** `host` and `port` as `listen` needs them, refused up front with `INVALID_ARGUMENT` (not a Node `ERR_SOCKET_BAD_PORT` or `TypeError` later). */
function checkListenOptions(options: RelayOptions): void {
  if (typeof options !== 'object' || options === null) throw new CapmeshError('INVALID_ARGUMENT', 'relay options must be an object', { detail: { argument: 'options' } });
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.length === 0)) {
    throw new CapmeshError('INVALID_ARGUMENT', `relay \`host\` must be a non-empty string, got ${JSON.stringify(options.host)}`, { detail: { argument: 'host' } });
  }
  const port = options.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new CapmeshError('INVALID_ARGUMENT', `relay \`port\` must be an integer from 0 to 65535, got ${JSON.stringify(port)}`, { detail: { argument: 'port' } });
  }
}

/**
 * Starts a relay: an HTTP server that upgrades to WebSocket on any path and
 * serves `GET /healthz` (JSON) and `GET /metrics` (Prometheus text).
 *
 * Each connection is a `RelayPeer` driven by the `RelayRouter`. The server
 * owns what the router does not: connection limits, counted per TCP
 * connection from the moment it is accepted, upgraded or not (`maxConnections`
 * overall and `maxConnectionsPerIp` per address: over either, HTTP 503 and
 * close); the upgrade deadline (`upgradeTimeoutMs`: a socket that has not
 * completed its WebSocket upgrade by then is destroyed); the frame-size limit
 * (ws `maxPayload`, the sender is closed with 1009); the registration
 * deadline; and heartbeats (a ping every `heartbeatMs`; a connection that did
 * not answer the previous one is terminated). Plain HTTP responses close
 * their connection, so no socket outlives its one request.
 *
 * Rejects with `INVALID_ARGUMENT` for a `host` that is not a non-empty
 * string, a `port` that is not an integer in 0–65535, a bad limit or public
 * URL, before anything listens; with Node's own error (`EADDRINUSE`, …) when
 * listening fails.
 */
export async function startRelay(options: RelayOptions = {}): Promise<RelayServer> {
  return startRelayWithTestHooks(options, {});
}

/**
 * `startRelay` with test-only traffic hooks. Not exported from `capmesh/relay`;
 * tests reach it through `capmesh/testing/playwright`'s `startTestRelay`.
 */
export async function startRelayWithTestHooks(options: RelayOptions, hooks: RelayTestHooks): Promise<RelayServer> {
  checkListenOptions(options);
  const limits = resolveRelayLimits(options.limits);
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? jsonLineLogger((line) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => performance.now());
  const metrics = new RelayMetrics();
  // Filled once the port is known (before any connection is accepted).
  const publicUrls = new Set<string>((options.publicUrls ?? []).map((u, i) => normalizeRelayUrl(u, `publicUrls[${i}]`)));
  const router = new RelayRouter(limits, { publicUrls, allowDialOnly: options.allowDialOnly ?? true }, metrics, log, hooks.interceptData, hooks.interceptSignal);
  const peers = new Set<RelayPeer>();
  const turn = options.turn === undefined ? undefined : new TurnIssuer<RelayPeer>(options.turn, (peer, message) => router.send(peer, message));
  /** Open TCP connections per `addressKey`, upgraded or not. */
  const perAddress = new Map<string, number>();
  let openSockets = 0;
  /** Upgrade deadlines of sockets not yet upgraded. */
  const upgradeTimers = new WeakMap<Duplex, ReturnType<typeof setTimeout>>();
  /** Sockets refused at accept (503 on its way); their requests are ignored. */
  const refused = new WeakSet<Duplex>();
  let nextId = 1;
  let closing: Promise<void> | undefined;
  /** Set once joined; until then upgrades are refused (a registration must reach the directory). */
  let cluster: RedisCluster | undefined;
  let joining = options.cluster !== undefined;

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  const stats = (): RelayStats => {
    let bufferedBytes = 0;
    for (const peer of peers) bufferedBytes += peer.socket.bufferedAmount;
    return {
      connections: peers.size,
      sockets: openSockets,
      throttles: metrics.throttles,
      registered: router.registeredCount,
      circuits: router.circuitCount,
      bufferedBytes,
      peakBufferedBytes: metrics.peakBufferedBytes,
      drops: { ...metrics.drops },
      framesForwarded: metrics.frames.data + metrics.frames.signal,
      bytesForwarded: metrics.bytes.data + metrics.bytes.signal,
    };
  };

  const metricsText = (): string => {
    const s = stats();
    return (
      metrics.render({ connections: s.connections, sockets: s.sockets, registered: s.registered, circuits: s.circuits, bufferedBytes: s.bufferedBytes }) +
      (cluster?.metricsText() ?? '')
    );
  };

  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (refused.has(req.socket)) return; // a 503 is already on its way
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const s = stats();
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ status: closing ? 'closing' : 'ok', connections: s.connections, sockets: s.sockets, registered: s.registered, circuits: s.circuits, ...(cluster ? { cluster: cluster.health() } : {}) }));
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', connection: 'close' });
      res.end(metricsText());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' });
      res.end('capmesh relay: connect with WebSocket, or GET /healthz or /metrics\n');
    }
  });

  const accept = (socket: WebSocket, request: IncomingMessage): void => {
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const peer = new RelayPeer(nextId++, socket, remote, randomBytes(32), new TokenBucket(limits.maxMessagesPerSecond, limits.messageBurst, now), {
      opens: new TokenBucket(limits.circuitOpensPerSecond, limits.circuitOpenBurst, now),
      incoming: new TokenBucket(limits.incomingCircuitsPerSecond, limits.incomingCircuitBurst, now),
    });
    peers.add(peer);
    metrics.connectionsTotal++;
    log.debug('connected', { peer: peer.label, remote });
    const turnWanted = turn !== undefined && wantsTurnCredentials(request.url);
    socket.on('message', (data: unknown, isBinary: boolean) => {
      if (!isBinary || !(data instanceof Uint8Array)) {
        router.cut(peer, 'protocol', RELAY_CLOSE.protocol, 'only binary messages are accepted');
        return;
      }
      try {
        const unregistered = peer.designator === undefined;
        router.receive(peer, data);
        if (turnWanted && unregistered && peer.designator !== undefined && !peer.closed) turn.registered(peer, peer.designator);
      } catch (error) {
        // A bug, not the peer's fault; the peer goes, the relay stays up.
        log.error('internal error while handling a message', { peer: peer.label, error: error instanceof Error ? error.message : String(error) });
        router.cut(peer, 'protocol', RELAY_CLOSE.protocol, 'internal error');
      }
    });
    socket.on('pong', () => {
      peer.alive = true;
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        // ws has already closed the socket with 1009.
        metrics.drop('oversize');
        log.warn('connection cut', { peer: peer.label, remote, reason: 'oversize', detail: `a message over ${limits.maxFrameBytes} bytes` });
      } else {
        log.debug('socket error', { peer: peer.label, error: error.message });
      }
      router.detach(peer, error.code ?? 'socket error');
    });
    socket.on('close', (code: number) => {
      peers.delete(peer);
      turn?.forget(peer);
      if (!peer.closed) router.detach(peer, `closed (${code})`);
      log.debug('disconnected', { peer: peer.label, code });
    });
    peer.registerTimer = setTimeout(() => {
      if (peer.designator === undefined) router.cut(peer, 'register_timeout', RELAY_CLOSE.refused, 'no registration in time');
    }, limits.registerTimeoutMs);
    router.welcome(peer);
  };

  const refuse = (socket: Duplex, reason: 'max_connections' | 'max_connections_per_ip'): void => {
    refused.add(socket);
    metrics.drop(reason);
    log.debug('connection refused', { reason });
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
  };

  // Every TCP connection counts from accept to close, upgraded or not.
  http.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const count = (perAddress.get(key) ?? 0) + 1;
    perAddress.set(key, count);
    openSockets++;
    socket.once('close', () => {
      openSockets--;
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
      clearTimeout(upgradeTimers.get(socket));
    });
    if (closing || openSockets > limits.maxConnections) {
      refuse(socket, 'max_connections');
      return;
    }
    if (limits.maxConnectionsPerIp > 0 && count > limits.maxConnectionsPerIp) {
      refuse(socket, 'max_connections_per_ip');
      return;
    }
    if (limits.upgradeTimeoutMs > 0) {
      const timer = setTimeout(() => {
        metrics.drop('upgrade_timeout');
        log.debug('connection cut', { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, reason: 'upgrade_timeout' });
        socket.destroy();
      }, limits.upgradeTimeoutMs);
      timer.unref();
      upgradeTimers.set(socket, timer);
    }
  });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (refused.has(socket) || socket.destroyed) return;
    if (closing || joining) {
      refuse(socket, 'max_connections');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      clearTimeout(upgradeTimers.get(socket));
      upgradeTimers.delete(socket);
      accept(ws, request);
    });
  });

  const heartbeat =
    limits.heartbeatMs > 0
      ? setInterval(() => {
          for (const peer of peers) {
            if (peer.closed) continue;
            if (!peer.alive) {
              router.cut(peer, 'heartbeat', RELAY_CLOSE.heartbeat, 'no pong to the last ping');
              continue;
            }
            peer.alive = false;
            peer.socket.ping();
          }
        }, limits.heartbeatMs)
      : undefined;
  heartbeat?.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 8787, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `ws://${urlHost}:${port}`;
  if (publicUrls.size === 0) for (const u of defaultPublicUrls(host, port)) publicUrls.add(u);
  if (options.cluster !== undefined) {
    try {
      cluster = await RedisCluster.join(options.cluster, router, [...publicUrls], publicUrls, log, limits.maxFrameBytes);
    } catch (error) {
      clearInterval(heartbeat);
      await new Promise<void>((resolve) => http.close(() => resolve()));
      throw error;
    }
    joining = false;
  }
  log.info('relay listening', { url, publicUrls: [...publicUrls], limits, ...(cluster ? { node: cluster.nodeId } : {}) });

  return {
    host,
    port,
    url,
    publicUrls: [...publicUrls],
    limits,
    stats,
    metricsText,
    isRegistered: (designator) => router.isRegistered(designator),
    cluster: () => cluster?.health(),
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        turn?.close();
        await cluster?.close();
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        for (const peer of [...peers]) {
          router.detach(peer, 'shutdown');
          closeSocket(peer, RELAY_CLOSE.shutdown, 'relay shutting down');
        }
        // Sockets that do not finish the closing handshake promptly are cut.
        const grace = setTimeout(() => {
          for (const peer of peers) peer.socket.terminate();
        }, 500);
        grace.unref();
        http.closeAllConnections();
        await closed;
        clearTimeout(grace);
        wss.close();
        log.info('relay stopped', { url });
      })();
      return closing;
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The public URLs a relay listening on `host:port` answers to when none are
 * configured: `ws://host:port/`; for a loopback host also the `127.0.0.1`,
 * `localhost` and `[::1]` forms; for a wildcard host (`0.0.0.0`, `::`) the
 * loopback forms and `ws://<os hostname>:port/` — set `publicUrls`
 * (`--public-url`) for anything reached from elsewhere, and always for
 * `wss://` behind a proxy.
 */
export function defaultPublicUrls(host: string, port: number): string[] {
  const form = (h: string): string => normalizeRelayUrl(`ws://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`);
  const urls = new Set<string>();
  if (LOOPBACK.has(host) || WILDCARD.has(host)) for (const h of ['127.0.0.1', 'localhost', '::1']) urls.add(form(h));
  if (WILDCARD.has(host)) urls.add(form(hostname().toLowerCase()));
  else urls.add(form(host));
  return [...urls];
}
