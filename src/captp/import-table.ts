import { CapmeshError } from '../util/errors.js';
import type { FinalizerFactory, ImportFinalizer } from './finalizer.js';
import type { ImportPos } from './positions.js';

export type ImportKind = 'object' | 'promise';

interface ImportEntry {
  readonly pos: ImportPos;
  readonly kind: ImportKind;
  /** Weak for shared entries (collection releases them); strong for internal ones (the session releases them). */
  ref: WeakRef<object> | { deref(): object };
  /** `desc:import-*` receipts for this slot since we last released it. */
  count: number;
  /** Distinguishes this entry from an earlier one at the same position. */
  readonly incarnation: number;
  readonly token: object;
  /** True while only the session itself holds the representative (a resolver it was handed). */
  internal: boolean;
}

interface Held {
  readonly pos: ImportPos;
  readonly incarnation: number;
}

/**
 * What we import from one peer: the peer's export position → our local
 * representative (a presence, or a promise for an imported promise), held
 * weakly, with the receive count OCapN's GC needs.
 *
 * Release: when a representative is collected (finalizer), or when the session
 * releases one it no longer needs (`release`), `onRelease(pos, count)` is
 * called with every receipt since the last release; the session batches these
 * into `op:gc-exports`. A position received again after its representative died
 * but before the finalizer ran gets a new entry; the old receipts are released
 * at once, so the peer's refcount stays exact.
 */
export class ImportTable {
  private readonly entries = new Map<ImportPos, ImportEntry>();
  private readonly finalizer: ImportFinalizer;
  private incarnations = 0;

  constructor(
    finalizerFactory: FinalizerFactory,
    private readonly onRelease: (pos: ImportPos, count: number) => void,
    private readonly maxEntries: number,
  ) {
    this.finalizer = finalizerFactory((held) => this.collected(held as Held));
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records one more receipt of `pos`. Returns its live representative, or
   * undefined when the caller must make one and `add` it.
   */
  received(pos: ImportPos, kind: ImportKind): object | undefined {
    const entry = this.entries.get(pos);
    if (!entry) return undefined;
    if (entry.kind !== kind) {
      throw new CapmeshError('PROTOCOL', `import ${pos} arrived as a ${kind} but is a live ${entry.kind}`);
    }
    const live = entry.ref.deref();
    if (live === undefined) {
      // Collected, but the finalizer has not told us yet: release the old receipts now.
      this.release(pos);
      return undefined;
    }
    entry.count++;
    return live;
  }

  /** Adds a fresh representative for `pos` with one receipt. */
  add(pos: ImportPos, kind: ImportKind, representative: object, internal: boolean): void {
    if (this.entries.size >= this.maxEntries) {
      throw new CapmeshError('LIMIT', `import table full (${this.maxEntries} entries)`, { detail: { table: 'imports' } });
    }
    const entry: ImportEntry = {
      pos,
      kind,
      ref: internal ? strongRef(representative) : new WeakRef(representative),
      count: 1,
      incarnation: ++this.incarnations,
      token: {},
      internal,
    };
    this.entries.set(pos, entry);
    if (!internal) this.finalizer.register(representative, { pos, incarnation: entry.incarnation } satisfies Held, entry.token);
  }

  /**
   * Local code now holds `pos` through `representative` (replacing the
   * session's internal token): from here on collection releases it, and the
   * session may no longer release it on its own.
   */
  share(pos: ImportPos, representative: object): void {
    const entry = this.entries.get(pos);
    if (!entry || !entry.internal) return;
    entry.internal = false;
    entry.ref = new WeakRef(representative);
    this.finalizer.register(representative, { pos, incarnation: entry.incarnation } satisfies Held, entry.token);
  }

  isInternal(pos: ImportPos): boolean {
    return this.entries.get(pos)?.internal ?? false;
  }

  /** True when `pos` is live and `representative` is its current representative. */
  representativeIs(pos: ImportPos, representative: object): boolean {
    return this.entries.get(pos)?.ref.deref() === representative;
  }

  has(pos: ImportPos): boolean {
    return this.entries.has(pos);
  }

  /** Releases every receipt of `pos` now (no-op if absent). */
  release(pos: ImportPos): void {
    const entry = this.entries.get(pos);
    if (!entry) return;
    this.entries.delete(pos);
    this.finalizer.unregister(entry.token);
    this.onRelease(pos, entry.count);
  }

  /** Forgets everything without releasing (the session is gone). */
  clear(): void {
    for (const entry of this.entries.values()) this.finalizer.unregister(entry.token);
    this.entries.clear();
  }

  *list(): IterableIterator<{ pos: ImportPos; kind: ImportKind; count: number; live: boolean; internal: boolean }> {
    for (const e of this.entries.values()) {
      yield { pos: e.pos, kind: e.kind, count: e.count, live: e.ref.deref() !== undefined, internal: e.internal };
    }
  }

  private collected(held: Held): void {
    const entry = this.entries.get(held.pos);
    if (entry && entry.incarnation === held.incarnation) this.release(held.pos);
  }
}

function strongRef(value: object): { deref(): object } {
  return { deref: () => value };
}
