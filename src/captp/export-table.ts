import { CapmeshError } from '../util/errors.js';
import { BOOTSTRAP_EXPORT, exportPos, type ExportPos } from './positions.js';

interface ExportEntry {
  readonly value: object;
  /** Times we have sent `desc:import-*` for this slot, minus what the peer released. */
  refs: number;
  readonly promise: boolean;
}

/**
 * What we export to one peer: position ⇄ local value, with OCapN refcounts.
 *
 * Ownership: the table holds its values strongly until the peer releases every
 * reference it received (`op:gc-exports` deltas bring `refs` to 0). The
 * bootstrap object sits at position 0 and is never counted or freed.
 *
 * Transactions: positions for values seen in a message being built are
 * *reserved* (`reserve`) and only become visible with `commit`, together with
 * the refcount increments, after the message has been encoded.
 */
export class ExportTable {
  private readonly byPos = new Map<ExportPos, ExportEntry>();
  private readonly byValue = new Map<object, ExportPos>();
  private nextPos = 1;

  constructor(
    bootstrap: object,
    private readonly maxEntries: number,
  ) {
    this.byPos.set(BOOTSTRAP_EXPORT, { value: bootstrap, refs: 0, promise: false });
    this.byValue.set(bootstrap, BOOTSTRAP_EXPORT);
  }

  get size(): number {
    return this.byPos.size - 1;
  }

  lookup(pos: ExportPos): object | undefined {
    return this.byPos.get(pos)?.value;
  }

  isPromise(pos: ExportPos): boolean {
    return this.byPos.get(pos)?.promise ?? false;
  }

  positionOf(value: object): ExportPos | undefined {
    return this.byValue.get(value);
  }

  /** Picks a fresh position for a value that is not exported yet; nothing is stored until `commit`. */
  reserve(): ExportPos {
    if (this.size >= this.maxEntries) {
      throw new CapmeshError('LIMIT', `export table full (${this.maxEntries} entries)`, { detail: { table: 'exports' } });
    }
    return exportPos(this.nextPos++);
  }

  /** Stores a reserved position (if new) and adds `refs` sends to its count. */
  commit(pos: ExportPos, value: object, refs: number, promise: boolean): void {
    const entry = this.byPos.get(pos);
    if (entry) {
      if (pos !== BOOTSTRAP_EXPORT) entry.refs += refs;
      return;
    }
    this.byPos.set(pos, { value, refs, promise });
    this.byValue.set(value, pos);
  }

  /**
   * The peer released `delta` of the references it received. Frees the slot at
   * zero and returns true. Throws `PROTOCOL` for an unknown position or a delta
   * larger than what we sent (a peer that does this is confused or hostile).
   */
  release(pos: ExportPos, delta: number): boolean {
    const entry = this.byPos.get(pos);
    if (!entry) throw new CapmeshError('PROTOCOL', `op:gc-exports names export ${pos}, which is not exported`);
    if (pos === BOOTSTRAP_EXPORT) return false;
    if (delta > entry.refs) {
      throw new CapmeshError('PROTOCOL', `op:gc-exports releases ${delta} references to export ${pos}, which was sent ${entry.refs} times`);
    }
    entry.refs -= delta;
    if (entry.refs > 0) return false;
    this.byPos.delete(pos);
    this.byValue.delete(entry.value);
    return true;
  }

  /** Drops everything but the bootstrap (session ended). */
  clear(): void {
    const boot = this.byPos.get(BOOTSTRAP_EXPORT)!;
    this.byPos.clear();
    this.byValue.clear();
    this.byPos.set(BOOTSTRAP_EXPORT, boot);
    this.byValue.set(boot.value, BOOTSTRAP_EXPORT);
  }

  entries(): IterableIterator<[ExportPos, Readonly<ExportEntry>]> {
    return this.byPos.entries();
  }
}
