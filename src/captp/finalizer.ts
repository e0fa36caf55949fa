/**
 * How a session learns that local code has dropped an imported reference.
 *
 * The session registers each presence (and each imported promise) with a
 * finalizer made by the injected factory; when the object is collected the
 * finalizer calls back with the held value. The default factory wraps
 * `FinalizationRegistry`; tests inject `createManualFinalizer()` to decide
 * themselves when something counts as collected.
 */
export interface ImportFinalizer {
  register(target: object, held: unknown, unregisterToken: object): void;
  unregister(unregisterToken: object): void;
}

export type FinalizerFactory = (onCollected: (held: unknown) => void) => ImportFinalizer;

/** The real one: callbacks come from the engine's garbage collector, some time after collection. */
export const finalizationRegistryFinalizer: FinalizerFactory = (onCollected) => {
  const registry = new FinalizationRegistry<unknown>(onCollected);
  return {
    register: (target, held, token) => registry.register(target, held, token),
    unregister: (token) => {
      registry.unregister(token);
    },
  };
};

export interface ManualFinalizerControl {
  readonly factory: FinalizerFactory;
  /** Acts as if `target` had been collected: every registration for it fires (once). Returns how many fired. */
  collect(target: object): number;
  /** Fires every live registration. */
  collectAll(): number;
  /** How many registrations are live. */
  readonly live: number;
}

/**
 * A finalizer for tests: nothing is ever collected until the test says so.
 * It keeps registered targets only weakly-in-spirit: it holds them strongly,
 * so `collect` can be called with them; a test that uses it must not rely on
 * real collection.
 */
export function createManualFinalizer(): ManualFinalizerControl {
  const registrations: { target: object; held: unknown; token: object; fire: (held: unknown) => void }[] = [];
  const fireWhere = (pred: (r: (typeof registrations)[number]) => boolean): number => {
    const due = registrations.filter(pred);
    for (const r of due) registrations.splice(registrations.indexOf(r), 1);
    for (const r of due) r.fire(r.held);
    return due.length;
  };
  return {
    factory: (onCollected) => ({
      register: (target, held, token) => {
        registrations.push({ target, held, token, fire: onCollected });
      },
      unregister: (token) => {
        for (let i = registrations.length - 1; i >= 0; i--) if (registrations[i]!.token === token) registrations.splice(i, 1);
      },
    }),
    collect: (target) => fireWhere((r) => r.target === target),
    collectAll: () => fireWhere(() => true),
    get live() {
      return registrations.length;
    },
  };
}
