export { createVat } from './vat.js';
export type { Vat, EngineVat, RegisterOptions, VatOptions, VatLimits, SessionInfo, SessionRefusals } from './vat.js';
export { parseSturdyRef, formatSturdyRef, parsePeerUri, formatPeerUri } from './uri.js';
export { silentLogger, jsonLineLogger } from '../util/logger.js';
export type { Logger } from '../util/logger.js';
export { reconnecting } from './reconnecting.js';
export type { Reconnecting, ReconnectOptions, ReconnectState, ReconnectTimer } from './reconnecting.js';
export type { KindMaker, PersistentContext } from './persistent-objects.js';
export type { LivenessOptions } from './liveness.js';
