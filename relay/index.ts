/**
 * The capmesh relay: authenticated rendezvous, signalling and end-to-end
 * encrypted fallback forwarding for capmesh vats. It routes by designator and
 * never reads what it carries. Published as `capmesh/relay`. See docs/relay.md.
 *
 * @module capmesh/relay
 */
export { defaultPublicUrls, startRelay } from './server.js';
export type { RelayOptions, RelayServer, RelayStats } from './server.js';
export type { RelayClusterHealth, RelayClusterOptions } from './cluster/redis.js';
export { DEFAULT_RELAY_LIMITS, addressKey, resolveRelayLimits, TokenBucket } from './limits.js';
export type { RelayLimits } from './limits.js';
export { jsonLineLogger, silentLogger } from '../src/util/logger.js';
export type { Logger, LogLevel } from '../src/util/logger.js';
export type { DataInterceptor, SignalInterceptor } from './router.js';
export { DROP_REASONS } from './metrics.js';
export type { DropReason } from './metrics.js';
export { parseRelayArgs, RELAY_USAGE } from './args.js';
export type { RelayArgs } from './args.js';
export { DEFAULT_TURN_TTL_SECONDS, MAX_TURN_TTL_SECONDS, MIN_TURN_TTL_SECONDS, mintTurnCredential } from './turn.js';
export type { RelayTurnOptions, TurnCredential } from './turn.js';
