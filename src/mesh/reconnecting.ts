import { CapmeshError, isCapmeshError } from '../util/errors.js';
import { locatorsEqual, type SturdyRef } from '../wire/index.js';
import type { Remote } from '../vat/index.js';
import { checkReconnectArguments, sturdyRefArgument } from './arguments.js';
import type { Vat } from './vat.js';

/**
 * Keeping a reference to a remote object across disconnections.
 *
 * OCapN references are bound to one session: when the session ends (the
 * peer restarted, the network dropped) every reference from it breaks with
 * `DISCONNECTED` (or `ABORTED`), and stays broken. A sturdyref URI outlives
 * sessions, so the pattern is: keep the URI, and when the session ends,
 * `vat.enliven(uri)` again — that opens a new session and fetches the object
 * afresh (a persistent object on the other side is rebuilt from its saved
 * state). Calls that were in flight when the session ended are *not*
 * replayed: they may or may not have run, and only the app knows whether
 * repeating one is safe.
 *
 * `reconnecting(vat, uri)` does the re-enlivening: it enlivens at once, and
 * each time the session to that vat ends it enlivens again — first at once,
 * then after each consecutive failure waits `initialDelayMs`, then `factor`
 * times longer, at most `maxDelayMs` (no jitter). It gives up for good on
 * `NOT_FOUND` (the object was revoked, or was ephemeral and its vat
 * restarted), `URI_MALFORMED`, `INVALID_ARGUMENT`, and when the vat itself
 * is closed.
 *
 * ```ts
 * const counter = reconnecting<Counter>(vat, uri);
 * const n = await E(await counter.current()).increment();
 * ```
 */
export interface ReconnectOptions {
  /** Delay after the first failed attempt, in ms. Default 250. */
  readonly initialDelayMs?: number;
  /** The longest delay between attempts, in ms. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per consecutive failure. Default 2. */
  readonly factor?: number;
  /** Told each state change, with the error that caused it when there is one. */
  readonly onChange?: (state: ReconnectState, error?: CapmeshError) => void;
  /** Timers (default `setTimeout` / `clearTimeout`); tests inject their own. */
  readonly timer?: ReconnectTimer;
}

export interface ReconnectTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/**
 * `connecting`: an enliven is under way. `connected`: `current()` has a
 * live reference. `waiting`: the last attempt failed, the next is scheduled.
 * `failed`: gave up (see above). `closed`: `close()` was called.
 */
export type ReconnectState = 'connecting' | 'connected' | 'waiting' | 'failed' | 'closed';

export interface Reconnecting<T> {
  readonly state: ReconnectState;
  /**
   * The current reference. While (re)connecting, waits for the next
   * success. Rejects with the final error once `failed`, and with
   * `DISCONNECTED` once closed. A reference it returned breaks when its
   * session ends; call `current()` again for the next one.
   */
  current(): Promise<Remote<T>>;
  /** Stops: cancels the pending attempt; waiting `current()` calls reject. Idempotent. */
  close(): void;
}

const defaultTimer: ReconnectTimer = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function isFinal(error: CapmeshError): boolean {
  return (
    error.code === 'NOT_FOUND' ||
    error.code === 'URI_MALFORMED' ||
    error.code === 'INVALID_ARGUMENT' ||
    error.detail?.['vatClosed'] === true
  );
}

/** See {@link ReconnectOptions}. Throws `URI_MALFORMED` at once for a bad URI. */
export function reconnecting<T = unknown>(vat: Vat, uri: string | SturdyRef, options: ReconnectOptions = {}): Reconnecting<T> {
  checkReconnectArguments(vat, options);
  const ref = sturdyRefArgument(uri, 'uri');
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const timer = options.timer ?? defaultTimer;
  // A reference into our own vat is the local object itself: it never disconnects.
  const local = vat.locators().some((mine) => locatorsEqual(mine, ref.peer));

  let state: ReconnectState = 'connecting';
  let live: Remote<T> | undefined;
  let final: CapmeshError | undefined;
  let failures = 0;
  let handle: unknown;
  let waiters: { resolve(r: Remote<T>): void; reject(e: unknown): void }[] = [];

  const enter = (next: ReconnectState, error?: CapmeshError): void => {
    state = next;
    options.onChange?.(next, error);
  };
  const settle = (outcome: { ref: Remote<T> } | { error: CapmeshError }): void => {
    const list = waiters;
    waiters = [];
    for (const w of list) {
      if ('ref' in outcome) w.resolve(outcome.ref);
      else w.reject(outcome.error);
    }
  };

  /** One enliven; `cause` is the error that ended the previous session, if that is why. */
  const attempt = (cause?: CapmeshError): void => {
    handle = undefined;
    if (state === 'closed') return;
    enter('connecting', cause);
    vat.enliven<T>(ref).then(
      (remote) => {
        if (state === 'closed') return;
        live = remote;
        failures = 0;
        enter('connected');
        settle({ ref: remote });
        if (local) return;
        void vat.whenSessionEnds(ref.peer).then((error) => {
          if (state !== 'connected' || live !== remote) return;
          live = undefined;
          attempt(error);
        });
      },
      (e: unknown) => {
        if (state === 'closed') return;
        const error = isCapmeshError(e) ? e : new CapmeshError('DISCONNECTED', String(e), { cause: e });
        if (isFinal(error)) {
          final = error;
          enter('failed', error);
          settle({ error });
          return;
        }
        const delay = Math.min(max, initial * factor ** failures);
        failures++;
        enter('waiting', error);
        handle = timer.set(() => attempt(), delay);
      },
    );
  };

  attempt();

  return {
    get state() {
      return state;
    },
    current() {
      if (state === 'connected' && live !== undefined) return Promise.resolve(live);
      if (state === 'failed') return Promise.reject(final);
      if (state === 'closed') return Promise.reject(new CapmeshError('DISCONNECTED', 'this reconnecting reference was closed'));
      return new Promise<Remote<T>>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close() {
      if (state === 'closed') return;
      if (handle !== undefined) timer.clear(handle);
      handle = undefined;
      live = undefined;
      enter('closed');
      settle({ error: new CapmeshError('DISCONNECTED', 'this reconnecting reference was closed') });
    },
  };
}
