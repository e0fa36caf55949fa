/**
 * Keeps a view connected to a shared object in another tab, across that
 * tab's reloads and closings.
 *
 * A reference is bound to one CapTP session: when the host tab reloads or
 * closes, the session ends and every reference from it breaks for good. The
 * sturdyref outlives sessions, so this loop enlivens it again (a persistent
 * object is rebuilt by the host from its saved state) and runs the view's
 * `onConnected` again (to rejoin, resubscribe). Calls in flight when the
 * session ended are not replayed.
 *
 * A break is noticed three ways, whichever comes first: the vat reports the
 * host's session ended (`peer-disconnected`), a heartbeat (`ping()` every few
 * seconds) fails or goes unanswered, or the view calls `broken()` after one
 * of its own calls failed with a disconnection. A tab that vanished without
 * closing its data channel leaves a session that looks open but is dead; on
 * a silent heartbeat (or an attempt that hangs) the worker is asked to drop
 * the connections it dialled to the host (worker-tools.ts), so the next
 * attempt dials afresh instead of reusing the dead session.
 *
 * States: `connecting` (first attempt), `connected`, `reconnecting` (the
 * session dropped; retrying), `host-offline` (the relay says the host's vat is
 * not there: its tab is closed; retrying), `failed` (the link names nothing:
 * revoked, or never persistent; no more retries), `closed`.
 */
import { E, isCapmeshError, parseSturdyRef, type Remote } from 'capmesh';
import type { BrowserVat } from 'capmesh/browser';
import { errorText } from './dom.js';
import type { DemoWorkerTools } from './worker-tools.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'host-offline' | 'failed' | 'closed';

export interface Pingable {
  ping(): boolean;
}

export interface KeepConnectedOptions<T> {
  /** Told every state change, with a human-readable reason when there is one. */
  onState(state: LinkState, detail?: string): void;
  /** Runs on each (re)connection with the fresh reference; a throw counts as a failed attempt. */
  onConnected(ref: Remote<T>): Promise<void>;
  /** Heartbeat period. Default 3 000 ms. */
  readonly heartbeatMs?: number;
}

export interface Connection {
  /** The view saw a call fail as if the host were gone: check at once. */
  broken(reason?: string): void;
  close(): void;
}

const BACKOFF_MS = [300, 1_000, 2_000, 3_000];
const ATTEMPT_TIMEOUT_MS = 15_000;
const PING_TIMEOUT_MS = 5_000;

/** True when an error says the peer's vat could not be reached at all (its tab is gone): the relay's `PEER_OFFLINE`. */
export function isHostAbsent(error: unknown): boolean {
  return isCapmeshError(error, 'PEER_OFFLINE');
}

/** True when an error is a lost session rather than a refusal by the object. */
export function isDisconnection(error: unknown): boolean {
  if (!isCapmeshError(error)) return false;
  if (error.code === 'PEER_OFFLINE' || error.code === 'RELAY_UNREACHABLE') return true;
  return error.code === 'DISCONNECTED' || error.code === 'ABORTED' || /disconnect|session.*(ended|closed)|connection/i.test(error.message);
}

/** Rejects with a plain Error (not a CapmeshError) when `promise` has not settled within `ms`. */
export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function keepConnected<T extends Pingable>(vat: BrowserVat, uri: string, options: KeepConnectedOptions<T>): Connection {
  const host = parseSturdyRef(uri).peer.designator;
  const local = host === vat.designator;
  const heartbeatMs = options.heartbeatMs ?? 3_000;
  const tools = vat.extension<DemoWorkerTools>().catch(() => undefined);
  /** Closes the (possibly dead) connections to the host, so the next attempt dials a new one. */
  const dropHost = async (): Promise<void> => {
    const t = await tools;
    if (t) await (E(t).drop(host) as Promise<number>).catch(() => 0);
  };
  let closed = false;
  /** Wakes the wait for a break (or for the next attempt). */
  let wake: (reason: string) => void = () => {};

  const off = vat.on('peer-disconnected', (detail) => {
    if (detail['designator'] === host) wake('the session to the host ended');
  });

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Resolves with the reason once the connection to `ref` is seen to be broken. */
  const untilBroken = (ref: Remote<T>): Promise<string> =>
    new Promise((resolve) => {
      let done = false;
      const finish = (reason: string): void => {
        if (done) return;
        done = true;
        clearInterval(timer);
        resolve(reason);
      };
      wake = finish;
      const timer = setInterval(() => {
        timeout(E(ref as unknown as Remote<Pingable>).ping(), PING_TIMEOUT_MS, 'the heartbeat').catch(async (e: unknown) => {
          if (done) return;
          await dropHost();
          finish(`heartbeat failed: ${errorText(e)}`);
        });
      }, heartbeatMs);
    });

  const run = async (): Promise<void> => {
    let failures = 0;
    let everConnected = false;
    let absent = false;
    let reason: string | undefined;
    while (!closed) {
      options.onState(!everConnected && failures === 0 ? 'connecting' : absent ? 'host-offline' : 'reconnecting', reason);
      try {
        const ref = await timeout(vat.enliven<T>(uri), ATTEMPT_TIMEOUT_MS, 'reaching the host');
        if (closed) return;
        await timeout(options.onConnected(ref), ATTEMPT_TIMEOUT_MS, 'joining');
        if (closed) return;
        failures = 0;
        absent = false;
        everConnected = true;
        options.onState('connected');
        if (local) return; // an object of our own vat is the object itself: nothing to lose
        reason = await untilBroken(ref);
      } catch (error) {
        if (closed) return;
        if (isCapmeshError(error) && (error.code === 'NOT_FOUND' || error.code === 'URI_MALFORMED')) {
          options.onState('failed', `This link does not name anything (any more): ${errorText(error)}`);
          return;
        }
        failures++;
        if (!isCapmeshError(error)) await dropHost(); // timed out: the session may be dead
        absent = isHostAbsent(error);
        reason = errorText(error);
        const delay = BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)]!;
        options.onState(absent ? 'host-offline' : 'reconnecting', reason);
        await sleep(delay);
      }
    }
  };
  run().catch((e: unknown) => options.onState('failed', errorText(e)));

  return {
    broken: (why) => wake(why ?? 'a call failed'),
    close() {
      closed = true;
      off();
      wake('closed');
      options.onState('closed');
    },
  };
}
