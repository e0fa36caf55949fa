/**
 * Keeps a view connected to a shared object in another tab, across that
 * tab's reloads and closings, with capmesh's `reconnecting(vat, uri)`.
 *
 * A reference is bound to one CapTP session: when the host tab reloads or
 * closes, the session ends and every reference from it breaks for good. The
 * sturdyref outlives sessions: `reconnecting` enlivens it again each time the
 * vat reports the session to the host ended (a persistent object is rebuilt by
 * the host from its saved state), backing off while the host is away, and this
 * module runs the view's `onConnected` again (to rejoin, resubscribe). Calls
 * in flight when the session ended are not replayed.
 *
 * A host that vanished without a goodbye is noticed by the vat's own
 * heartbeats (`liveness`, set in main.ts), not by this module.
 *
 * States: `connecting` (first attempt), `connected`, `reconnecting` (the
 * session dropped; retrying), `host-offline` (the relay says the host's vat
 * is not there — `PEER_OFFLINE`: its tab is closed; retrying), `failed` (the
 * link names nothing: revoked, or never persistent; no more retries),
 * `closed`.
 */
import { isCapmeshError, reconnecting, type Remote } from 'capmesh';
import type { BrowserVat } from 'capmesh/browser';
import { errorText } from './dom.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'host-offline' | 'failed' | 'closed';

export interface KeepConnectedOptions<T> {
  /** Told every state change, with a human-readable reason when there is one. */
  onState(state: LinkState, detail?: string): void;
  /** Runs on each (re)connection with the fresh reference; a throw is shown, and it runs again after `retryMs`. */
  onConnected(ref: Remote<T>): Promise<void>;
  /** How long to wait before running a failed `onConnected` again on the same reference. Default 2 000 ms. */
  readonly retryMs?: number;
}

export interface Connection {
  close(): void;
}

/** True when an error says the host's vat is not reachable at all (its tab is gone): the relay's `PEER_OFFLINE`. */
export function isHostAbsent(error: unknown): boolean {
  return isCapmeshError(error, 'PEER_OFFLINE');
}

/** True when an error is a lost (or unreachable) session rather than a refusal by the object. */
export function isDisconnection(error: unknown): boolean {
  return (
    isCapmeshError(error) &&
    (error.code === 'DISCONNECTED' || error.code === 'ABORTED' || error.code === 'PEER_OFFLINE' || error.code === 'RELAY_UNREACHABLE')
  );
}

/** What a retry after `error` is shown as. */
function retryState(error: unknown): LinkState {
  return isHostAbsent(error) ? 'host-offline' : 'reconnecting';
}

export function keepConnected<T>(vat: BrowserVat, uri: string, options: KeepConnectedOptions<T>): Connection {
  const retryMs = options.retryMs ?? 2_000;
  let everConnected = false;
  let closed = false;
  let lastError: unknown;
  let retry: ReturnType<typeof setTimeout> | undefined;

  /** Runs `onConnected` on the reference `link` holds now, unless it changed meanwhile. */
  const settle = async (): Promise<void> => {
    const ref = await link.current();
    try {
      await options.onConnected(ref);
    } catch (e) {
      if (closed || link.state !== 'connected' || ref !== (await link.current())) return;
      options.onState(retryState(e), errorText(e));
      retry = setTimeout(() => void settle().catch(() => undefined), retryMs);
      return;
    }
    if (closed || link.state !== 'connected' || ref !== (await link.current())) return;
    everConnected = true;
    options.onState('connected');
  };

  const link = reconnecting<T>(vat, uri, {
    initialDelayMs: 300,
    maxDelayMs: 3_000,
    onChange(state, error) {
      if (retry !== undefined) clearTimeout(retry);
      retry = undefined;
      if (error) lastError = error;
      switch (state) {
        case 'connecting':
          options.onState(everConnected || lastError ? retryState(lastError) : 'connecting', lastError ? errorText(lastError) : undefined);
          break;
        case 'waiting':
          options.onState(retryState(error), errorText(error));
          break;
        case 'connected':
          lastError = undefined;
          // onChange runs before `current()` has the reference: look a turn later.
          queueMicrotask(() => void settle().catch(() => undefined));
          break;
        case 'failed':
          options.onState('failed', `This link does not name anything (any more): ${errorText(error)}`);
          break;
        case 'closed':
          options.onState('closed');
          break;
      }
    },
  });

  return {
    close() {
      closed = true;
      link.close();
    },
  };
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
