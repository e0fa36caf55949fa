import { CapmeshError } from '../util/errors.js';
import { base64urlEncode } from '../util/base64url.js';
import type { SyrupValue } from '../syrup/types.js';
import { encodeValue, type Store } from './store.js';

/** What a persistent object leaves in the store: the name of its kind and its data. */
export interface ObjectRecord {
  readonly kind: string;
  readonly data: SyrupValue;
}

/** Store keys of object records: `capmesh/object/<base64url swiss>`. */
export const OBJECT_KEY_PREFIX = 'capmesh/object/';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

type Op = { readonly type: 'set'; readonly record: ObjectRecord } | { readonly type: 'delete' };

interface Slot {
  /** The op not yet started, with everyone it will satisfy. */
  pending: { op: Op; waiters: Waiter[] } | undefined;
  /** The newest op asked for (pending or in flight): what a load must see. */
  latest: Op;
  running: boolean;
}

/**
 * The vat's table of persistent object records, keyed by swiss number.
 *
 * Writes to one record are serialized and coalesced: while one write is in
 * flight, further writes replace each other and only the newest is written
 * next ("last write wins"); every caller's promise resolves once its value or
 * a newer one is durable, or rejects with the store's error. Two writes never
 * interleave, so the stored record is always one whole value that was asked
 * for. A `remove` is ordered with the writes the same way. `load` sees the
 * newest write or remove asked for, even before it reached the store.
 */
export class ObjectRecords {
  private readonly slots = new Map<string, Slot>();
  private readonly drains = new Set<Promise<void>>();

  constructor(private readonly store: Store) {}

  /** The record under `swiss`, or undefined. Rejects with `STORE` if what is stored is not a record. */
  async load(swiss: Uint8Array): Promise<ObjectRecord | undefined> {
    const key = keyOf(swiss);
    const slot = this.slots.get(key);
    if (slot) return slot.latest.type === 'set' ? slot.latest.record : undefined;
    const stored = await this.store.get(key);
    if (stored === undefined) return undefined;
    const record = stored as { kind?: unknown; data?: SyrupValue } | null;
    if (typeof record !== 'object' || record === null || typeof record.kind !== 'string' || !('data' in record)) {
      throw new CapmeshError('STORE', `the record under "${key}" is not a persistent object record`, { detail: { key } });
    }
    return { kind: record.kind, data: record.data };
  }

  /**
   * Saves `record` under `swiss`. Throws `SYRUP_UNENCODABLE` at once (nothing
   * queued) when the data cannot be stored.
   */
  write(swiss: Uint8Array, record: ObjectRecord): Promise<void> {
    const key = keyOf(swiss);
    encodeValue(key, { kind: record.kind, data: record.data });
    return this.enqueue(key, { type: 'set', record: { kind: record.kind, data: record.data } });
  }

  /** Deletes the record under `swiss`, after any write already in flight. */
  remove(swiss: Uint8Array): Promise<void> {
    return this.enqueue(keyOf(swiss), { type: 'delete' });
  }

  /** Resolves once every write and remove asked for so far has settled. */
  async idle(): Promise<void> {
    while (this.drains.size > 0) await Promise.all(this.drains);
  }

  private enqueue(key: string, op: Op): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let slot = this.slots.get(key);
      if (!slot) {
        slot = { pending: undefined, latest: op, running: false };
        this.slots.set(key, slot);
      }
      slot.latest = op;
      const waiters = slot.pending?.waiters ?? [];
      waiters.push({ resolve, reject });
      slot.pending = { op, waiters };
      if (!slot.running) {
        slot.running = true;
        const drain = this.drain(key, slot);
        this.drains.add(drain);
        void drain.then(() => this.drains.delete(drain));
      }
    });
  }

  private async drain(key: string, slot: Slot): Promise<void> {
    // Start in a later microtask, so writes asked for in the same turn coalesce.
    await null;
    while (slot.pending) {
      const { op, waiters } = slot.pending;
      slot.pending = undefined;
      try {
        if (op.type === 'set') await this.store.set(key, { kind: op.record.kind, data: op.record.data });
        else await this.store.delete(key);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    slot.running = false;
    this.slots.delete(key);
  }
}

function keyOf(swiss: Uint8Array): string {
  return OBJECT_KEY_PREFIX + base64urlEncode(swiss);
}
