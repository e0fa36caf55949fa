import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Forcing garbage collection in a CLI vat, so imports the vat no longer uses
 * are noticed (by `FinalizationRegistry`) and released to the peer soon —
 * what the OCapN suite's GC tests wait for. Node only.
 */

/** The engine's `gc()`: the global one under `--expose-gc`, else obtained by enabling the flag at run time. */
export function obtainGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns `request()`: each call makes sure a full collection runs soon, in a
 * later task (once the current deliveries have let go of what they held), and
 * once more a little later for objects that the first pass only made
 * unreachable. Calls while one is pending are folded into it. Timers are
 * unref'd: a pending collection never keeps the process alive.
 */
export function gcRequester(gc: () => void, delaysMs: readonly number[] = [5, 50]): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    delaysMs.forEach((delay, i) => {
      const timer = setTimeout(() => {
        if (i === 0) pending = false;
        gc();
      }, delay);
      timer.unref?.();
    });
  };
}
