/**
 * Schedulers: how the local runtime gets its later turns.
 *
 * `microtaskScheduler` is the default (one microtask per turn, FIFO).
 * `makeManualScheduler()` is for tests and deterministic simulations: nothing
 * runs until the owner calls `runNext()` or `drain()`.
 */
import { CapmeshError } from '../util/errors.js';
import type { Scheduler } from './types.js';

/** Runs each turn in its own microtask, in the order scheduled. */
export const microtaskScheduler: Scheduler = (turn) => queueMicrotask(turn);

export interface ManualScheduler {
  /** Queues a turn; it runs only when the owner drives the queue. */
  readonly schedule: Scheduler;
  /** Turns queued and not yet run. */
  readonly pending: number;
  /** Runs the oldest queued turn; false when the queue was empty. An exception from the turn propagates (the turn is gone). */
  runNext(): boolean;
  /**
   * Runs turns, including those queued while draining, until the queue is
   * empty; returns how many ran. Throws `CapmeshError('LIMIT')` after
   * `maxTurns` turns (default 100 000), leaving the rest queued, so a turn
   * that always requeues itself cannot hang a test.
   */
  drain(maxTurns?: number): number;
}

export function makeManualScheduler(): ManualScheduler {
  const queue: (() => void)[] = [];
  let head = 0;
  const runNext = (): boolean => {
    if (head >= queue.length) return false;
    const turn = queue[head] as () => void;
    queue[head] = undefined as unknown as () => void;
    head += 1;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    turn();
    return true;
  };
  return {
    schedule: (turn) => {
      queue.push(turn);
    },
    get pending() {
      return queue.length - head;
    },
    runNext,
    drain(maxTurns = 100_000) {
      let ran = 0;
      while (head < queue.length) {
        if (ran >= maxTurns) {
          throw new CapmeshError('LIMIT', `manual scheduler: still busy after ${maxTurns} turns`);
        }
        runNext();
        ran += 1;
      }
      return ran;
    },
  };
}
