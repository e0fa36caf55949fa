import { CapmeshError } from '../src/util/errors.js';
import { normalizeRelayUrl } from '../src/netlayer/relay/protocol.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.js';
import type { RelayClusterOptions } from './cluster/redis.js';
import type { LogLevel } from '../src/util/logger.js';
import { DEFAULT_TURN_TTL_SECONDS, TurnFlags, type RelayTurnOptions } from './turn.js';

/** `capmesh relay` flags → relay options. */
export interface RelayArgs {
  readonly host: string;
  readonly port: number;
  readonly limits: Partial<RelayLimits>;
  readonly logLevel: LogLevel;
  /** `--public-url` (repeatable); absent → the relay's default from its listen address. */
  readonly publicUrls?: readonly string[];
  /** `--no-dial-only` → false; absent → the relay's default (true). */
  readonly allowDialOnly?: boolean;
  /** `--turn-url`, `--turn-secret`/`--turn-secret-file`, `--turn-ttl`; absent when no `--turn-url` was given. */
  readonly turn?: RelayTurnOptions;
  /** `--cluster redis://…` (with `--node-id`, `--cluster-prefix`, `--cluster-heartbeat-ms`); absent → a single relay. */
  readonly cluster?: RelayClusterOptions;
}

const LIMIT_FLAGS: Readonly<Record<string, keyof RelayLimits>> = {
  '--max-frame-bytes': 'maxFrameBytes',
  '--max-connections': 'maxConnections',
  '--max-connections-per-ip': 'maxConnectionsPerIp',
  '--upgrade-timeout-ms': 'upgradeTimeoutMs',
  '--max-messages-per-second': 'maxMessagesPerSecond',
  '--message-burst': 'messageBurst',
  '--max-buffered-bytes': 'maxBufferedBytes',
  '--max-forward-buffered-bytes': 'maxForwardBufferedBytes',
  '--max-pair-buffered-bytes': 'maxPairBufferedBytes',
  '--max-throttle-ms': 'maxThrottleMs',
  '--max-circuits': 'maxCircuitsPerConnection',
  '--max-circuits-per-source': 'maxCircuitsPerSource',
  '--max-circuits-per-pair': 'maxCircuitsPerPair',
  '--max-pending-circuits-per-target': 'maxPendingCircuitsPerTarget',
  '--pending-circuit-timeout-ms': 'pendingCircuitTimeoutMs',
  '--circuit-opens-per-second': 'circuitOpensPerSecond',
  '--circuit-open-burst': 'circuitOpenBurst',
  '--incoming-circuits-per-second': 'incomingCircuitsPerSecond',
  '--incoming-circuit-burst': 'incomingCircuitBurst',
  '--max-circuit-bytes': 'maxCircuitBytes',
  '--max-circuit-duration-ms': 'maxCircuitDurationMs',
  '--max-signal-bytes': 'maxSignalBytes',
  '--heartbeat-ms': 'heartbeatMs',
  '--register-timeout-ms': 'registerTimeoutMs',
};

const d = DEFAULT_RELAY_LIMITS;

export const RELAY_USAGE = `Usage: capmesh relay [options]

Runs a capmesh relay: vats register their designator by signing a challenge,
exchange signalling messages, and fall back to end-to-end encrypted circuits.
The relay only routes; it cannot read or forge what it carries.

Options:
  --host <addr>                    interface to listen on (default 127.0.0.1)
  --port <n>                       port, 0 for any free one (default 8787)
  --max-frame-bytes <n>            largest WebSocket message (default ${d.maxFrameBytes})
  --max-connections <n>            open TCP connections, upgraded or not (default ${d.maxConnections})
  --max-connections-per-ip <n>     open TCP connections from one address, IPv6 per /64; 0 = no cap (default ${d.maxConnectionsPerIp})
  --upgrade-timeout-ms <n>         time to complete the HTTP upgrade; 0 = none (default ${d.upgradeTimeoutMs})
  --max-messages-per-second <n>    per connection, sustained (default ${d.maxMessagesPerSecond})
  --message-burst <n>              per connection, burst (default ${d.messageBurst})
  --max-buffered-bytes <n>         unsent bytes per connection before it is cut (default ${d.maxBufferedBytes})
  --max-forward-buffered-bytes <n> unsent forwarded bytes per receiver; senders past it are throttled (default ${d.maxForwardBufferedBytes})
  --max-pair-buffered-bytes <n>    unsent forwarded bytes per sender→receiver; past it the sender is throttled (default ${d.maxPairBufferedBytes})
  --max-throttle-ms <n>            a sender throttled this long is cut; 0 = never (default ${d.maxThrottleMs})
  --max-circuits <n>               circuits per connection, either end (default ${d.maxCircuitsPerConnection})
  --max-circuits-per-source <n>    open circuits a connection opened (default ${d.maxCircuitsPerSource})
  --max-circuits-per-pair <n>      open circuits from one caller to one callee (default ${d.maxCircuitsPerPair})
  --max-pending-circuits-per-target <n>  circuits the callee has not answered yet (default ${d.maxPendingCircuitsPerTarget})
  --pending-circuit-timeout-ms <n> unanswered circuits are closed after this; 0 = never (default ${d.pendingCircuitTimeoutMs})
  --circuit-opens-per-second <n>   new circuits per caller, sustained (default ${d.circuitOpensPerSecond})
  --circuit-open-burst <n>         new circuits per caller, burst (default ${d.circuitOpenBurst})
  --incoming-circuits-per-second <n>  new circuits per callee, sustained (default ${d.incomingCircuitsPerSecond})
  --incoming-circuit-burst <n>     new circuits per callee, burst (default ${d.incomingCircuitBurst})
  --max-circuit-bytes <n>          bytes one circuit may carry; 0 = no cap (default ${d.maxCircuitBytes})
  --max-circuit-duration-ms <n>    lifetime of one circuit; 0 = no cap (default ${d.maxCircuitDurationMs})
  --max-signal-bytes <n>           largest signal payload (default ${d.maxSignalBytes})
  --heartbeat-ms <n>               ping interval, 0 = off (default ${d.heartbeatMs})
  --register-timeout-ms <n>        time allowed to register (default ${d.registerTimeoutMs})
  --public-url <ws(s)://…>         a URL vats dial to reach this relay; registration
                                   proofs must name one (repeatable; default: the
                                   listen address, plus localhost forms on loopback)
  --no-dial-only                   refuse dial-only clients (vats reaching a peer here
                                   without registering; default: served)
  --turn-url <turn:host:port[?transport=udp|tcp]>  a TURN server vats may use; each
                                   registered vat gets short-lived credentials for it
                                   (repeatable, up to 8; needs a secret)
  --turn-secret <s>                the secret shared with the TURN server (coturn
                                   static-auth-secret); visible in ps: prefer
  --turn-secret-file <path>        a file holding it (trailing newline ignored)
  --turn-ttl <seconds>             credential lifetime, refreshed every half of it
                                   (default ${DEFAULT_TURN_TTL_SECONDS})
  --cluster <redis://host:port>    join a relay cluster whose directory and routing go
                                   through this Redis (default: a single relay)
  --node-id <id>                   this node's id in the cluster (default: random)
  --cluster-prefix <name>          prefix of the cluster's Redis keys and channels
                                   (default capmesh)
  --cluster-heartbeat-ms <n>       lease renewal; a node silent 3 × this is dead (default 2000)
  --log-level <debug|info|warn|error>  (default info)

Endpoints: ws://host:port (any path), GET /healthz, GET /metrics (Prometheus).`;

function integer(flag: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new CapmeshError('INVALID_ARGUMENT', `${flag} takes a non-negative integer, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new CapmeshError('INVALID_ARGUMENT', `${flag} is too large`);
  return n;
}

/** Parses `--flag value` and `--flag=value`. Throws `INVALID_ARGUMENT` naming the bad flag. */
export function parseRelayArgs(argv: readonly string[]): RelayArgs {
  let host = '127.0.0.1';
  let port = 8787;
  let logLevel: LogLevel = 'info';
  const limits: { -readonly [K in keyof RelayLimits]?: number } = {};
  const publicUrls: string[] = [];
  let allowDialOnly: boolean | undefined;
  const turn = new TurnFlags();
  let redis: string | undefined;
  const cluster: { nodeId?: string; prefix?: string; heartbeatMs?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    if (flag === '--host') {
      const v = value();
      if (!v) throw new CapmeshError('INVALID_ARGUMENT', '--host takes an address');
      host = v;
    } else if (flag === '--port') {
      port = integer(flag, value());
      if (port > 65535) throw new CapmeshError('INVALID_ARGUMENT', '--port must be at most 65535');
    } else if (flag === '--log-level') {
      const v = value();
      if (v !== 'debug' && v !== 'info' && v !== 'warn' && v !== 'error') throw new CapmeshError('INVALID_ARGUMENT', '--log-level is one of debug, info, warn, error');
      logLevel = v;
    } else if (flag === '--public-url') {
      const v = value();
      if (!v) throw new CapmeshError('INVALID_ARGUMENT', '--public-url takes a ws:// or wss:// URL');
      try {
        publicUrls.push(normalizeRelayUrl(v));
      } catch (cause) {
        throw new CapmeshError('INVALID_ARGUMENT', `--public-url takes a ws:// or wss:// URL, got ${JSON.stringify(v)}`, { cause });
      }
    } else if (flag === '--cluster') {
      const v = value();
      if (!v || !/^rediss?:\/\/./.test(v)) throw new CapmeshError('INVALID_ARGUMENT', `--cluster takes a redis:// or rediss:// URL, got ${JSON.stringify(v)}`);
      redis = v;
    } else if (flag === '--node-id') {
      const v = value();
      if (!v || !/^[\w.-]{1,64}$/.test(v)) throw new CapmeshError('INVALID_ARGUMENT', '--node-id is 1–64 of [A-Za-z0-9_.-]');
      cluster.nodeId = v;
    } else if (flag === '--cluster-prefix') {
      const v = value();
      if (!v) throw new CapmeshError('INVALID_ARGUMENT', '--cluster-prefix takes a name');
      cluster.prefix = v;
    } else if (flag === '--cluster-heartbeat-ms') {
      const n = integer(flag, value());
      if (n === 0) throw new CapmeshError('INVALID_ARGUMENT', '--cluster-heartbeat-ms must be positive');
      cluster.heartbeatMs = n;
    } else if (flag === '--no-dial-only' && eq < 0) {
      allowDialOnly = false;
    } else if (turn.accepts(flag)) {
      turn.take(flag, value());
    } else if (Object.hasOwn(LIMIT_FLAGS, flag)) {
      limits[LIMIT_FLAGS[flag]!] = integer(flag, value());
    } else {
      throw new CapmeshError('INVALID_ARGUMENT', `unknown option ${flag} (see capmesh relay --help)`);
    }
  }
  const turnOptions = turn.options();
  if (redis === undefined && Object.keys(cluster).length > 0) throw new CapmeshError('INVALID_ARGUMENT', '--node-id, --cluster-prefix and --cluster-heartbeat-ms need --cluster');
  return {
    host,
    port,
    limits,
    logLevel,
    ...(publicUrls.length > 0 ? { publicUrls } : {}),
    ...(allowDialOnly !== undefined ? { allowDialOnly } : {}),
    ...(turnOptions !== undefined ? { turn: turnOptions } : {}),
    ...(redis !== undefined ? { cluster: { redis, ...cluster } } : {}),
  };
}
