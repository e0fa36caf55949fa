/**
 * The registry through which another layer (the CapTP session) plugs remote
 * references into the local runtime, without the vat importing it.
 *
 * - A *presence* stands for an object that lives elsewhere: a frozen, empty
 *   object whose eventual operations go to its `EventualHandler`.
 * - A *remote promise* is an ordinary native `Promise` whose eventual
 *   operations go to a handler while it is unsettled. That is what makes
 *   pipelining work: `E(E(x).a()).b()` hands `b` to the handler of `a`'s
 *   promise at once, before `a` has an answer.
 *
 * Both brands live in module-private WeakMaps: they cannot be forged and keep
 * nothing alive. A handler is fixed for the life of its presence or promise.
 */
import { assertString } from '../util/assert.js';
import { CapmeshError } from '../util/errors.js';
import type { EventualHandler } from './types.js';

interface PresenceRecord {
  readonly name: string;
  readonly handler: EventualHandler;
}

/** How a remote promise settled, as far as this vat was told. */
export type Settlement =
  | { readonly status: 'fulfilled'; readonly value: unknown }
  | { readonly status: 'rejected'; readonly reason: unknown };

interface RemotePromiseRecord {
  readonly handler: EventualHandler;
  settlement: Settlement | undefined;
}

const presences = new WeakMap<object, PresenceRecord>();
const remotePromises = new WeakMap<object, RemotePromiseRecord>();

const HANDLER_METHODS = ['applyMethod', 'sendOnly', 'get', 'index', 'untag'] as const;

function assertHandler(handler: unknown): asserts handler is EventualHandler {
  const h = handler as Record<string, unknown> | null;
  if (typeof h !== 'object' || h === null || HANDLER_METHODS.some((m) => typeof h[m] !== 'function')) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`handler\` must be an EventualHandler (${HANDLER_METHODS.join(', ')})`);
  }
}

function noop(): void {}

/** Makes a new remote presence named `name` (for messages only) whose operations go to `handler`. */
export function makePresence(name: string, handler: EventualHandler): object {
  assertString(name, 'name');
  assertHandler(handler);
  const presence = Object.freeze({});
  presences.set(presence, { name, handler });
  return presence;
}

/** True for an object made by `makePresence`. */
export function isPresence(x: unknown): boolean {
  return typeof x === 'object' && x !== null && presences.has(x);
}

/** The name a presence was made with, or undefined. */
export function presenceName(x: unknown): string | undefined {
  return typeof x === 'object' && x !== null ? presences.get(x)?.name : undefined;
}

/** What `makeRemotePromise` returns: the promise and the only way to settle it. */
export interface RemotePromiseKit<T> {
  readonly promise: Promise<T>;
  /** Fulfills (or, given a promise/thenable, forwards to) `value`. Later calls are ignored. */
  resolve(value: unknown): void;
  /** Rejects with `reason`. Later calls, and calls after `resolve`, are ignored. */
  reject(reason: unknown): void;
}

/**
 * Makes a native promise registered with `handler`.
 *
 * Until it settles, `E(promise)` hands every operation to `handler`
 * synchronously, in call order. Once settled, `E(promise)` goes straight to the
 * settlement (the fulfilled value, or the rejection) without asking the handler;
 * `handlerOf` keeps reporting the handler so the session can still recognise
 * its own promise when marshalling.
 *
 * Unhandled rejections: a remote promise is often dropped by its caller (a
 * message sent for its effect), and a break then is not a bug of the caller's
 * code. So a no-op rejection handler is attached, and its derived promise
 * thrown away. The caller still gets `promise` itself, unchanged: awaiting it
 * still throws the break. What is lost is only the process-level
 * "unhandledRejection" report for promises nobody looks at.
 *
 * Resolving a promise with itself rejects it with `CapmeshError('INVALID_ARGUMENT')`.
 */
export function makeRemotePromise<T = unknown>(handler: EventualHandler): RemotePromiseKit<T> {
  assertHandler(handler);
  let fulfil!: (value: T | PromiseLike<T>) => void;
  let fail!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    fulfil = res;
    fail = rej;
  });
  const record: RemotePromiseRecord = { handler, settlement: undefined };
  remotePromises.set(promise, record);

  // Nobody may be listening when it breaks: it is marked handled just before it can reject
  // (most remote promises are fulfilled; marking each one handled up front cost a promise per call).
  const reject = (reason: unknown): void => {
    if (record.settlement !== undefined) return;
    record.settlement = { status: 'rejected', reason };
    promise.catch(noop);
    fail(reason);
  };
  const resolve = (value: unknown): void => {
    if (record.settlement !== undefined) return;
    if (value === promise) {
      reject(new CapmeshError('INVALID_ARGUMENT', 'a remote promise cannot be resolved with itself'));
      return;
    }
    record.settlement = { status: 'fulfilled', value };
    if (typeof (value as { then?: unknown } | null)?.then === 'function') promise.catch(noop); // it may adopt a rejection
    fulfil(value as T);
  };
  return { promise, resolve, reject };
}

/** True for a promise made by `makeRemotePromise` (settled or not). */
export function isRemotePromise(x: unknown): boolean {
  return typeof x === 'object' && x !== null && remotePromises.has(x);
}

/** The handler of a presence or remote promise (settled or not), else undefined. */
export function handlerOf(x: unknown): EventualHandler | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  return presences.get(x)?.handler ?? remotePromises.get(x)?.handler;
}

/**
 * The handler eventual operations on `x` go to right now: a presence's handler,
 * or an unsettled remote promise's. Undefined for everything else.
 */
export function activeHandlerOf(x: unknown): EventualHandler | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const presence = presences.get(x);
  if (presence !== undefined) return presence.handler;
  const rp = remotePromises.get(x);
  return rp !== undefined && rp.settlement === undefined ? rp.handler : undefined;
}

/** How a remote promise settled; undefined while pending or when `x` is not a remote promise. */
export function settlementOf(x: unknown): Settlement | undefined {
  return typeof x === 'object' && x !== null ? remotePromises.get(x)?.settlement : undefined;
}

/**
 * Where eventual operations on `x` should go now: follows settled remote
 * promises to their fulfilment value (a chain of them, stopping at a cycle).
 * Returns `{ rejected: reason }` when the chain ends in a rejection.
 */
export function shorten(x: unknown): { readonly target: unknown } | { readonly rejected: unknown } {
  let current = x;
  let seen: Set<unknown> | undefined; // made at the first hop: most targets are no settled promise
  for (;;) {
    const s = settlementOf(current);
    if (s === undefined || seen?.has(current)) return { target: current };
    (seen ??= new Set()).add(current);
    if (s.status === 'rejected') return { rejected: s.reason };
    current = s.value;
  }
}
