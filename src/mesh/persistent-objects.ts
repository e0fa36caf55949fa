import { CapmeshError } from '../util/errors.js';
import { base64urlEncode } from '../util/base64url.js';
import { randomSwiss } from '../crypto/index.js';
import { isFar, isPresence } from '../vat/index.js';
import type { Remote } from '../vat/index.js';
import type { Persistable, SyrupValue } from '../syrup/types.js';
import { ObjectRecords, type Store } from '../persistence/index.js';
import type { Logger } from '../util/logger.js';

/** What a persistent object's maker gets beside its data. */
export interface PersistentContext {
  /** The kind this object was made as. */
  readonly kind: string;
  /** Its sturdyref: the same before and after every restart. */
  readonly uri: string;
  /**
   * Persists `data` as this object's new state: the next restart rebuilds it
   * from this. Saves of one object are written one at a time and coalesced
   * (the newest wins; two never interleave). Resolves once this state or a
   * newer one is durable. Rejects (without crashing the process when nobody
   * awaits it) with `SYRUP_UNENCODABLE` for data Syrup cannot hold, `STORE`
   * when the store fails, `NOT_FOUND` once the object was revoked. `data`
   * may be typed as an `interface` (see `Persistable`).
   */
  save<T>(data: T & Persistable<T>): Promise<void>;
  /**
   * Reaches the object `ref` names, as `vat.enliven` does: another
   * persistent object of this vat (rebuilt from its record if it is not
   * live), an ephemeral one, or one on another vat. This is how a kind whose
   * state holds another object's URI revives that reference: keep the URI in
   * the data, enliven it when first needed. Rejects with `NOT_FOUND` when the
   * object was revoked (or never existed), `URI_MALFORMED` for a bad URI.
   *
   * Ordering: it may be called while the maker runs, but a maker must not
   * wait on its own object (`ctx.uri` while it is being made) nor on an
   * object whose maker is, directly or through others, waiting on this one:
   * both would never settle, so both reject with `INVALID_ARGUMENT` instead.
   * Enlivening on first use (not in the maker) never meets either rule.
   */
  enliven<T = unknown>(ref: string): Promise<Remote<T>>;
  /**
   * Makes a new persistent object, as `vat.registerPersistent` does, and
   * resolves with its sturdyref once its record is durable; its maker runs
   * before that. This is how a maker builds a *facet*: a second object
   * (say a read-only view) with its own sturdyref, whose data holds this
   * object's `uri` so it rebuilds pointing at the same object after every
   * restart. Make a facet once and keep its URI in this object's data
   * (`ctx.save`): calling this in the maker would make a new facet on every
   * rebuild. The new object's maker must not wait (`ctx.enliven`) on the
   * object whose maker is creating it: that rejects with `INVALID_ARGUMENT`.
   * Rejects as `registerPersistent` does (`INVALID_ARGUMENT` for an undefined
   * kind, `SYRUP_UNENCODABLE`, `STORE`).
   */
  registerPersistent<T>(kind: string, data: T & Persistable<T>): Promise<string>;
}

/**
 * Makes the live object of a kind from its saved data. `T` is the type the
 * kind's data is declared as (default `SyrupValue`); it is not checked at run
 * time: the maker gets what was last saved for the object, so a maker whose
 * store others can write should validate it. Returns a `far`
 * object, or a reference to one elsewhere (a browser vat's page hosts its
 * kinds' objects: the worker's maker returns a promise for a presence). It
 * runs on first `fetch` after a restart, while the peer waits, so it should
 * be quick.
 */
export type KindMaker<T = SyrupValue> = (data: T, ctx: PersistentContext) => object | Promise<object>;

interface Instance {
  readonly kind: string;
  revoked: boolean;
}

/** How a maker's context reaches other objects: the vat's side of `ctx.enliven`. */
export interface PersistentObjectsHost {
  /** The vat's `enliven`. */
  enliven(ref: string): Promise<unknown>;
  /** The swiss number when `ref` names an object of this vat, else undefined; throws `URI_MALFORMED`. */
  localSwiss(ref: string): Uint8Array | undefined;
}

export interface PersistentObjectsOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** The sturdyref URI of a swiss number on this vat. */
  readonly uriFor: (swiss: Uint8Array) => string;
  /** What `ctx.enliven` goes through. Without it, `ctx.enliven` rejects with `INVALID_ARGUMENT`. */
  readonly host?: PersistentObjectsHost;
}

/**
 * The restorer: kinds and their makers, the persistent objects that are live
 * in this process, and their records in the store.
 *
 * Lifecycle of a persistent object: `create` makes it and records
 * `{kind, data}` under a fresh swiss number. After a restart nothing is built
 * up front; the first `restore` of that swiss number (a peer's `fetch`) loads
 * the record and calls the kind's maker, and the object then stays live for
 * the life of this process. Concurrent restores of one swiss number share one
 * build. `revoke` forgets it, live and stored.
 */
export class PersistentObjects {
  private readonly kinds = new Map<string, KindMaker>();
  private readonly live = new Map<string, { obj: object; instance: Instance }>();
  private readonly restoring = new Map<string, Promise<object | undefined>>();
  /** Bumped by each revoke, so a restore that was loading meanwhile does not bring the object back. */
  private readonly revocations = new Map<string, number>();
  private readonly records: ObjectRecords;
  /**
   * Wait-for edges between makers still running: key → the keys whose objects
   * that maker awaits (through `ctx.enliven` or `ctx.registerPersistent`). A
   * new edge that closes a cycle is refused, so no two makers wait on each
   * other forever.
   */
  private readonly waitsFor = new Map<string, Map<string, number>>();

  constructor(private readonly options: PersistentObjectsOptions) {
    this.records = new ObjectRecords(options.store);
  }

  defineKind(kind: string, maker: KindMaker): void {
    if (typeof kind !== 'string' || kind.length === 0) {
      throw new CapmeshError('INVALID_ARGUMENT', '`kind` must be a non-empty string', { detail: { argument: 'kind' } });
    }
    if (typeof maker !== 'function') throw new CapmeshError('INVALID_ARGUMENT', '`maker` must be a function', { detail: { argument: 'maker' } });
    if (this.kinds.has(kind)) throw new CapmeshError('INVALID_ARGUMENT', `kind "${kind}" is already defined`, { detail: { argument: 'kind' } });
    this.kinds.set(kind, maker);
  }

  /**
   * Makes a new persistent object of `kind` from `data` and records it under
   * a fresh swiss number, which it returns once the record is durable.
   * Throws `INVALID_ARGUMENT` for an undefined kind or a maker that returns
   * something not far; whatever the maker throws propagates and nothing stays
   * recorded.
   */
  async create(kind: string, data: SyrupValue, waiter?: string): Promise<Uint8Array> {
    if (typeof kind !== 'string' || kind.length === 0) {
      throw new CapmeshError('INVALID_ARGUMENT', '`kind` must be a non-empty string', { detail: { argument: 'kind' } });
    }
    const maker = this.kinds.get(kind);
    if (!maker) {
      throw new CapmeshError('INVALID_ARGUMENT', `\`kind\`: "${kind}" is not defined (call defineKind first)`, { detail: { argument: 'kind' } });
    }
    const swiss = randomSwiss();
    const key = base64urlEncode(swiss);
    // Queue the first record before the maker runs, so a save() the maker makes lands after it.
    const recorded = this.records.write(swiss, { kind, data });
    const instance: Instance = { kind, revoked: false };
    let obj: object;
    const edge = waiter === undefined ? undefined : this.addEdge(waiter, key);
    try {
      obj = await this.make(maker, swiss, instance, data);
    } catch (e) {
      instance.revoked = true;
      await recorded.catch(() => undefined);
      await this.records.remove(swiss).catch(() => undefined);
      throw e;
    } finally {
      edge?.();
    }
    // Live before the record is durable, so the object's own ctx.enliven(ctx.uri) finds it, not a second build.
    this.live.set(key, { obj, instance });
    try {
      await recorded;
    } catch (e) {
      instance.revoked = true;
      if (this.live.get(key)?.instance === instance) this.live.delete(key);
      throw e;
    }
    return swiss;
  }

  /**
   * The object under `swiss`: the live one, or one rebuilt from its record.
   * Undefined when there is no record (never persistent, revoked), or its
   * kind is not defined in this process (logged). Rejects with `STORE` when
   * the record cannot be read or the maker throws (the cause is logged here,
   * never sent to the peer).
   */
  restore(swiss: Uint8Array): Promise<object | undefined> {
    const key = base64urlEncode(swiss);
    const live = this.live.get(key);
    if (live) return Promise.resolve(live.obj);
    let pending = this.restoring.get(key);
    if (!pending) {
      pending = this.rebuild(swiss, key);
      this.restoring.set(key, pending);
      const done = (): void => {
        if (this.restoring.get(key) === pending) this.restoring.delete(key);
      };
      pending.then(done, done);
    }
    return pending;
  }

  private async rebuild(swiss: Uint8Array, key: string): Promise<object | undefined> {
    const epoch = this.revocations.get(key) ?? 0;
    let record;
    try {
      record = await this.records.load(swiss);
    } catch (e) {
      this.options.logger.error('cannot load a persistent object record', { error: String(e) });
      throw new CapmeshError('STORE', 'the object could not be restored');
    }
    if (record === undefined || (this.revocations.get(key) ?? 0) !== epoch) return undefined;
    const maker = this.kinds.get(record.kind);
    if (!maker) {
      this.options.logger.warn('fetch of a persistent object whose kind is not defined', { kind: record.kind });
      return undefined;
    }
    const instance: Instance = { kind: record.kind, revoked: false };
    let obj: object;
    try {
      obj = await this.make(maker, swiss, instance, record.data);
    } catch (e) {
      this.options.logger.error('the maker of a persistent object threw', { kind: record.kind, error: String(e) });
      throw new CapmeshError('STORE', 'the object could not be restored');
    }
    this.live.set(key, { obj, instance });
    return obj;
  }

  /** Records that `from`'s maker waits on `to`; refuses (throws) an edge that closes a cycle. Returns its removal. */
  private addEdge(from: string, to: string): () => void {
    if (from === to || this.reaches(to, from)) {
      throw new CapmeshError(
        'INVALID_ARGUMENT',
        from === to
          ? 'a maker cannot wait on its own object while it is being made'
          : 'that object is being made by a maker that waits on this one (a cycle of makers would never settle)',
      );
    }
    let out = this.waitsFor.get(from);
    if (!out) this.waitsFor.set(from, (out = new Map()));
    out.set(to, (out.get(to) ?? 0) + 1);
    return () => {
      const n = (out.get(to) ?? 1) - 1;
      if (n > 0) out.set(to, n);
      else out.delete(to);
      if (out.size === 0 && this.waitsFor.get(from) === out) this.waitsFor.delete(from);
    };
  }

  private reaches(from: string, target: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (at === target) return true;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const next of this.waitsFor.get(at)?.keys() ?? []) stack.push(next);
    }
    return false;
  }

  private async make(maker: KindMaker, swiss: Uint8Array, instance: Instance, data: SyrupValue): Promise<object> {
    const key = base64urlEncode(swiss);
    /** True while the maker runs: only then do this object's waits count as wait-for edges. */
    let making = true;
    const ctx: PersistentContext = {
      kind: instance.kind,
      uri: this.options.uriFor(swiss),
      save: (next) => {
        const saved = instance.revoked
          ? Promise.reject(new CapmeshError('NOT_FOUND', 'this persistent object was revoked'))
          : this.saveOrReject(swiss, { kind: instance.kind, data: next as SyrupValue });
        saved.catch((e: unknown) => this.options.logger.warn('ctx.save failed', { kind: instance.kind, error: String(e) }));
        return saved;
      },
      enliven: async <T>(ref: string): Promise<Remote<T>> => {
        const host = this.options.host;
        if (!host) throw new CapmeshError('INVALID_ARGUMENT', 'this vat gives makers no way to enliven');
        if (typeof ref !== 'string') throw new CapmeshError('INVALID_ARGUMENT', '`ref` must be a sturdyref string', { detail: { argument: 'ref' } });
        const local = host.localSwiss(ref);
        const edge = making && local !== undefined ? this.addEdge(key, base64urlEncode(local)) : undefined;
        try {
          return (await host.enliven(ref)) as Remote<T>;
        } finally {
          edge?.();
        }
      },
      registerPersistent: async (kind, next) => {
        const created = await this.create(kind, next as SyrupValue, making ? key : undefined);
        return this.options.uriFor(created);
      },
    };
    let obj: object;
    try {
      obj = await maker(data, ctx);
    } finally {
      making = false;
      this.waitsFor.delete(key);
    }
    if (!isFar(obj) && !isPresence(obj)) {
      throw new CapmeshError('INVALID_ARGUMENT', `the maker of kind "${instance.kind}" must return a far() object (or a reference to one)`);
    }
    return obj;
  }

  private saveOrReject(swiss: Uint8Array, record: { kind: string; data: SyrupValue }): Promise<void> {
    try {
      return this.records.write(swiss, record);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Forgets the persistent object under `swiss`: drops the live object (its
   * later saves reject with `NOT_FOUND`) and deletes its record after any
   * save in flight. Resolves true when there was one.
   */
  async revoke(swiss: Uint8Array): Promise<boolean> {
    const key = base64urlEncode(swiss);
    this.revocations.set(key, (this.revocations.get(key) ?? 0) + 1);
    const live = this.live.get(key);
    if (live) {
      live.instance.revoked = true;
      this.live.delete(key);
    }
    // A record that no longer reads as one still counts: revoking is how to get rid of it.
    const existed = live !== undefined || (await this.records.load(swiss).then((r) => r !== undefined, () => true));
    await this.records.remove(swiss);
    return existed;
  }

  /** Resolves once every save and revoke asked for so far has reached the store. */
  flush(): Promise<void> {
    return this.records.idle();
  }
}
