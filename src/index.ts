/**
 * capmesh: an object-capability mesh speaking OCapN.
 *
 * The main entry: make a vat, make local objects with `far`, send to remote
 * ones with `E`. Netlayers come from `capmesh/node`, `capmesh/browser` and
 * `capmesh/testing`; the Syrup codec from `capmesh/syrup`.
 *
 * @module capmesh
 */
export { createVat, parseSturdyRef, formatSturdyRef, parsePeerUri, formatPeerUri, silentLogger, jsonLineLogger } from './mesh/index.js';
export type { Vat, EngineVat, RegisterOptions, VatOptions, VatLimits, SessionInfo, SessionRefusals, DialectSource, Logger } from './mesh/index.js';
export { reconnecting } from './mesh/index.js';
export type { Reconnecting, ReconnectOptions, ReconnectState, ReconnectTimer, KindMaker, PersistentContext, LivenessOptions } from './mesh/index.js';
export { memoryStore, namespaced, MAX_KEY_BYTES } from './persistence/index.js';
export type { Store } from './persistence/index.js';
export { far, E, isFar, passStyleOf, assertPassable } from './vat/index.js';
export type { Remote, ERef, EProxy, PassStyle, PassableOptions } from './vat/index.js';
// The types `E`'s proxies are built from (named in `EProxy` and `EFunction`).
export type {
  EFunction,
  EWhen,
  EResult,
  ECallable,
  ELoose,
  ESendOnlyProxy,
  ELooseSendOnly,
  FieldKey,
  RefInterface,
  IsLoose,
  MethodKeys,
  AnyFunction,
  Unremote,
  FieldValue,
  ElementValue,
} from './vat/remote.js';
export { CapmeshError, isCapmeshError, ERROR_CODES } from './util/errors.js';
export type { CapmeshErrorCode, CapmeshErrorOptions } from './util/errors.js';
export { sym, record, tagged, float64, Sym, Tagged, Float64 } from './syrup/types.js';
export type { Persistable, SyrupValue } from './syrup/types.js';
export { dialectFor, DIALECTS } from './wire/index.js';
export type { Dialect, DialectName, DialectOverrides, FireAndForgetForm, GcForm, LocatorForm, HintsForm, LocatorLabel, PeerLocator, SturdyRef } from './wire/index.js';
export type { SessionStats } from './captp/index.js';
export type { Netlayer, Connection, ConnectionReceiver, ConnectionCloseReason, NetlayerBinding, NetlayerAttachment } from './netlayer/types.js';
export { generateKeyPair, designatorOf, designatorSigner, keyPairDesignatorKey, loadCryptoBackend, DESIGNATOR_STATEMENT_LABELS } from './crypto/index.js';
export type { KeyPair, DesignatorKey, DesignatorSigner, DesignatorSignerOptions } from './crypto/index.js';
