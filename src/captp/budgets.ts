import { CapmeshError } from '../util/errors.js';
import type { SessionLimits } from './session-types.js';

/** The error a tripped budget raises: code `BUDGET_EXCEEDED`, the budget's name first in the message and in `detail.budget`. */
export function budgetExceeded(budget: string, message: string): CapmeshError {
  return new CapmeshError('BUDGET_EXCEEDED', `${budget}: ${message}`, { detail: { budget } });
}

/** What the peer has made wait on one of our promises (an answer or an exported promise). */
interface Wait {
  settled: boolean;
  /** Messages pipelined on it, not yet released. */
  messages: number;
  bytes: number;
  /** `op:listen`s waiting on it, not yet released. */
  listeners: number;
  /** Listens counted against `maxListenersPerAnswer` (never decreases). */
  listens: number;
}

/**
 * The per-session budgets on what a peer can make us hold that the tables do
 * not already bound: messages pipelined on our pending promises, listeners on
 * them, and references per message. No I/O.
 *
 * Ownership: one per `CaptpSession`; the session calls `startMessage` before
 * handling each incoming message, then `reference` / `queue` / `listen` while
 * handling it, before doing the work they stand for. Each of those throws the
 * `budgetExceeded` error when the work would go over a budget; the session
 * then aborts (nothing of that message has been done past the check).
 *
 * Release: what waits on a promise is released when the promise settles (the
 * queued messages are then delivered, the listeners told). A promise is
 * watched (one `then`) only once the peer first queues or listens on it.
 * After `close` nothing is counted or released any more.
 */
export class PeerBudgets {
  private readonly limits: Readonly<Required<SessionLimits>>;
  private readonly waits = new WeakMap<Promise<unknown>, Wait>();
  private referencesLeft: number;
  private closed = false;
  queuedMessages = 0;
  queuedBytes = 0;
  listeners = 0;
  /** Budget trips so far (each raised error counts once). */
  trips = 0;

  constructor(limits: Readonly<Required<SessionLimits>>) {
    this.limits = limits;
    this.referencesLeft = limits.maxReferencesPerMessage;
  }

  /** Counts a trip and returns the error to throw. */
  trip(budget: keyof SessionLimits, message: string): CapmeshError {
    this.trips++;
    return budgetExceeded(budget, message);
  }

  /** A new incoming message starts: its reference budget is whole again. */
  startMessage(): void {
    this.referencesLeft = this.limits.maxReferencesPerMessage;
  }

  /** The message being handled carries one more reference. */
  reference(): void {
    if (--this.referencesLeft < 0) {
      throw this.trip('maxReferencesPerMessage', `more than ${this.limits.maxReferencesPerMessage} references in one message`);
    }
  }

  /**
   * The peer sent a message (`bytes` long) to `target`; if `target` is a
   * promise of ours that has not settled, the message waits on it: counted
   * until it settles.
   */
  queue(target: unknown, bytes: number): void {
    if (!(target instanceof Promise) || this.closed) return;
    const wait = this.waitOn(target);
    if (wait.settled) return;
    if (this.queuedMessages >= this.limits.maxQueuedMessages) {
      throw this.trip('maxQueuedMessages', `more than ${this.limits.maxQueuedMessages} messages waiting on unresolved answers`);
    }
    if (this.queuedBytes + bytes > this.limits.maxQueuedBytes) {
      throw this.trip('maxQueuedBytes', `more than ${this.limits.maxQueuedBytes} bytes of messages waiting on unresolved answers`);
    }
    wait.messages++;
    wait.bytes += bytes;
    this.queuedMessages++;
    this.queuedBytes += bytes;
  }

  /**
   * The peer listens on `target`. A pending promise's listener is counted
   * (per promise and in total) until it settles; for an answer (`isAnswer`)
   * a listen after it settled counts per answer too, as each is answered with
   * the whole value again.
   */
  listen(target: unknown, isAnswer: boolean): void {
    if (!(target instanceof Promise) || this.closed) return;
    const wait = this.waitOn(target);
    if (wait.settled && !isAnswer) return;
    if (wait.listens >= this.limits.maxListenersPerAnswer) {
      throw this.trip('maxListenersPerAnswer', `more than ${this.limits.maxListenersPerAnswer} listens on one answer`);
    }
    if (!wait.settled) {
      if (this.listeners >= this.limits.maxListeners) {
        throw this.trip('maxListeners', `more than ${this.limits.maxListeners} listeners waiting on unresolved answers`);
      }
      wait.listeners++;
      this.listeners++;
    }
    wait.listens++;
  }

  /** Stops counting (the session ended). */
  close(): void {
    this.closed = true;
    this.queuedMessages = 0;
    this.queuedBytes = 0;
    this.listeners = 0;
  }

  private waitOn(promise: Promise<unknown>): Wait {
    let wait = this.waits.get(promise);
    if (wait === undefined) {
      const w: Wait = { settled: false, messages: 0, bytes: 0, listeners: 0, listens: 0 };
      const settle = (): void => this.settle(w);
      promise.then(settle, settle);
      this.waits.set(promise, w);
      wait = w;
    }
    return wait;
  }

  private settle(wait: Wait): void {
    wait.settled = true;
    if (!this.closed) {
      this.queuedMessages -= wait.messages;
      this.queuedBytes -= wait.bytes;
      this.listeners -= wait.listeners;
    }
    wait.messages = 0;
    wait.bytes = 0;
    wait.listeners = 0;
  }
}
