/**
 * The local runtime: far objects, eventual send, remote-reference plumbing for
 * the CapTP session, pass-style checks, schedulers and the reference types.
 */
export { far, isFar, farName, callLocal } from './far.js';
export {
  makePresence,
  isPresence,
  presenceName,
  makeRemotePromise,
  isRemotePromise,
  handlerOf,
  settlementOf,
} from './handled.js';
export type { RemotePromiseKit, Settlement } from './handled.js';
export { E, makeE } from './eventual.js';
export type { MakeEOptions } from './eventual.js';
export { passStyleOf, assertPassable, isPassable, DEFAULT_PASSABLE_MAX_DEPTH } from './passable.js';
export type { PassableOptions } from './passable.js';
export { microtaskScheduler, makeManualScheduler } from './scheduler.js';
export type { ManualScheduler } from './scheduler.js';
export type {
  Remote,
  ERef,
  EProxy,
  ESendOnlyProxy,
  EFunction,
  EWhen,
  RefInterface,
  EResult,
} from './remote.js';
export type { EventualHandler, Scheduler, PassStyle } from './types.js';
