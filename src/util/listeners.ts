/**
 * A set of listeners for one kind of event: `add` returns the unsubscribe
 * function, `emit` calls every listener with the same arguments.
 *
 * Ordering: listeners run in the order they were added. `emit` calls the
 * listeners present when it started: one added during an emit waits for the
 * next; one removed during an emit is still called in this one.
 *
 * Failure: a listener that throws does not stop the others. Its error goes to
 * `onError` when given (e.g. a logger), else it is rethrown from a fresh
 * microtask, where the host reports it (`error` event, unhandled exception).
 *
 * Ownership: adding the same function twice keeps one entry (a `Set`); wrap
 * it to count it twice.
 */
export class Listeners<Args extends readonly unknown[]> {
  readonly #set = new Set<(...args: Args) => void>();
  readonly #onError: ((error: unknown) => void) | undefined;

  constructor(onError?: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** How many listeners are registered. */
  get size(): number {
    return this.#set.size;
  }

  /** Adds `listener`; the function returned removes it (idempotent). */
  add(listener: (...args: Args) => void): () => void {
    this.#set.add(listener);
    return () => void this.#set.delete(listener);
  }

  /** Removes every listener. */
  clear(): void {
    this.#set.clear();
  }

  /** Calls every listener present now, in order, each isolated from the others' errors. */
  emit(...args: Args): void {
    for (const listener of [...this.#set]) {
      try {
        listener(...args);
      } catch (error) {
        if (this.#onError) this.#onError(error);
        else rethrowLater(error);
      }
    }
  }
}

/** `Listeners` per event name: `Events` maps each name to its listeners' argument list. */
export class EventListeners<Events extends { [K in keyof Events]: readonly unknown[] }> {
  readonly #byName = new Map<keyof Events, Listeners<readonly unknown[]>>();
  readonly #onError: ((error: unknown) => void) | undefined;

  constructor(onError?: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Adds `listener` for `event`; the function returned removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#byName.get(event);
    if (set === undefined) this.#byName.set(event, (set = new Listeners(this.#onError)));
    return set.add(listener as (...args: readonly unknown[]) => void);
  }

  /** How many listeners `event` has. */
  count(event: keyof Events): number {
    return this.#byName.get(event)?.size ?? 0;
  }

  /** Calls `event`'s listeners as `Listeners.emit` does. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    this.#byName.get(event)?.emit(...args);
  }
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
