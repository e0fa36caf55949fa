import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { CapmeshError, E, far, type Remote, type Store, type Vat } from '../index.js';
import {
  DEFAULT_MAX_AWARENESS_BYTES,
  DEFAULT_MAX_UPDATE_BYTES,
  applyPeerUpdate,
  awarenessClients,
  checkBytes,
  checkStateVector,
  clientIdOf,
  positiveOption,
} from './checks.js';
import { registryFor, type Role, type ShareRegistry } from './registry.js';
import type { DocFacet, JoinReply, MemberFacet, Subscriber } from './protocol.js';

/** `maxQueuedBytesPerMember`'s default: 4 MiB of pushes a member may leave unacknowledged before it is dropped. */
export const DEFAULT_MAX_QUEUED_BYTES_PER_MEMBER = 4 * 1024 * 1024;
/** `maxMembers`'s default: members joined at once, over both facets. */
export const DEFAULT_MAX_MEMBERS = 256;
/** `ackEvery`'s default: pushes to a member between two acknowledgement requests. */
export const DEFAULT_ACK_EVERY = 32;
/** `ackDelayMs`'s default: how long after a push the host asks an idle member to acknowledge it. */
export const DEFAULT_ACK_DELAY_MS = 100;

export interface ShareDocOptions {
  /**
   * Makes the share persistent: its two URIs, and the document's state, are
   * kept in this store under `capmesh-yjs/<name>/`, so a later `shareDoc`
   * with the same store and name (after a restart or a reload) restores the
   * state into `ydoc` and serves the same URIs. For a Node vat, the vat's own
   * store (or `namespaced(store, 'app')`); for a browser vat, a page-side
   * `indexedDbStore('<another name>')`. Without it the share is ephemeral: its
   * URIs die with the vat.
   */
  readonly store?: Store;
  /** The share's name in `store` (letters, digits, `.`, `_`, `-`; at most 64). Default `doc`. */
  readonly name?: string;
  /** The host's presence; members' states are merged into it. Default: a new `Awareness(ydoc)`, destroyed by `revoke`/`close`. */
  readonly awareness?: Awareness;
  /** Largest update (or state vector) a member may send in one call. Default {@link DEFAULT_MAX_UPDATE_BYTES}. */
  readonly maxUpdateBytes?: number;
  /** Largest awareness update a member may send in one call. Default {@link DEFAULT_MAX_AWARENESS_BYTES}. */
  readonly maxAwarenessBytes?: number;
  /**
   * Pushes a member may leave unacknowledged, in bytes, before it is dropped
   * with `BUDGET_EXCEEDED`. The host also asks for an acknowledgement as soon
   * as a quarter of it is unrequested, so an honest member keeps up. Default
   * {@link DEFAULT_MAX_QUEUED_BYTES_PER_MEMBER}.
   */
  readonly maxQueuedBytesPerMember?: number;
  /**
   * Pushes are fire-and-forget; the host asks each member to acknowledge
   * (`Subscriber.ack`, one answered call) after this many pushes since the
   * last request. Default {@link DEFAULT_ACK_EVERY}.
   */
  readonly ackEvery?: number;
  /**
   * …or this long after a push not yet covered by a request (the member went
   * idle). This is also how soon a member whose session ended is noticed and
   * dropped after a push. Default {@link DEFAULT_ACK_DELAY_MS}.
   */
  readonly ackDelayMs?: number;
  /** Members at once; a join beyond it is refused with `BUDGET_EXCEEDED`. Default {@link DEFAULT_MAX_MEMBERS}. */
  readonly maxMembers?: number;
  /** Told when writing the state to `store` fails (the share keeps serving). Default: ignored; `saved()` rejects too. */
  readonly onError?: (error: unknown) => void;
}

/** What `shareDoc` gives the host. */
export interface SharedDoc {
  /** The editor link: its holder may read, subscribe and write anything. */
  readonly editor: string;
  /** The viewer link: its holder may read and subscribe, and publish its presence, but not write. */
  readonly viewer: string;
  /** How many members are joined now. */
  members(): number;
  /** Resolves once the document's state as of now is in `store` (at once without one); rejects with the store's error. */
  saved(): Promise<void>;
  /**
   * Revokes both links: every later join through them, and every call of a
   * member already joined, fails with `NOT_FOUND`; members are told and
   * dropped; the store forgets the share (a later `shareDoc` with the same
   * name makes new links). `ydoc` itself is left as it is.
   */
  revoke(): Promise<void>;
  /** Stops serving without revoking (the host goes away): members are dropped with `DISCONNECTED`; resolves once the state is saved. */
  close(): Promise<void>;
}

/**
 * A joined member and its acknowledgement accounting, in bytes pushed since
 * the join: `pushed` ≥ `requested` (covered by an `ack` request sent) ≥
 * `acked` (covered by an answered one). `pushed - acked` is what it owes.
 */
interface MemberRecord {
  readonly subscriber: Remote<Subscriber>;
  readonly clientID: number;
  pushed: number;
  requested: number;
  acked: number;
  /** Pushes since the last `ack` request. */
  unrequested: number;
  /** The idle timer that will request an `ack`, while one is armed. */
  timer: ReturnType<typeof setTimeout> | undefined;
  gone: boolean;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** One shared document on the host: the facets' behaviour, fan-out to members, saving. */
class Share {
  readonly members = new Set<MemberRecord>();
  uris: Record<Role, string> = { editor: '', viewer: '' };
  private ended: CapmeshError | undefined;
  private dirty = false;
  private writing: Promise<void> | undefined;
  private saveError: unknown;

  constructor(
    readonly doc: Y.Doc,
    readonly awareness: Awareness,
    private readonly ownsAwareness: boolean,
    private readonly limits: { update: number; awareness: number; queued: number; members: number; ackEvery: number; ackDelayMs: number },
    private readonly store: { store: Store; prefix: string; onError: (e: unknown) => void } | undefined,
  ) {
    doc.on('update', this.onUpdate);
    awareness.on('update', this.onAwareness);
  }

  /** Throws the reason this share no longer serves, if it does not. */
  live(): void {
    if (this.ended) throw new CapmeshError(this.ended.code, this.ended.message);
  }

  facet(role: Role): DocFacet {
    return far(`yjs ${role}`, {
      describe: () => {
        this.live();
        return { readOnly: role === 'viewer' };
      },
      join: (sv: Uint8Array, clientID: number | bigint, subscriber: Remote<Subscriber>) => this.join(role, sv, clientID, subscriber),
    });
  }

  join(role: Role, sv: unknown, clientID: unknown, subscriber: Remote<Subscriber>): JoinReply {
    this.live();
    checkStateVector(sv, this.limits.update);
    const id = clientIdOf(clientID);
    if (typeof subscriber !== 'object' || subscriber === null) throw new CapmeshError('INVALID_ARGUMENT', 'the subscriber must be a reference');
    if (this.members.size >= this.limits.members) {
      throw new CapmeshError('BUDGET_EXCEEDED', `the document has its ${this.limits.members} members`, { detail: { limit: this.limits.members } });
    }
    const m: MemberRecord = { subscriber, clientID: id, pushed: 0, requested: 0, acked: 0, unrequested: 0, timer: undefined, gone: false };
    this.members.add(m);
    const check = (): void => {
      this.live();
      if (m.gone) throw new CapmeshError('DISCONNECTED', 'this member was dropped; join again');
    };
    const common = {
      awareness: (update: Uint8Array) => {
        check();
        checkBytes(update, this.limits.awareness, 'an awareness update');
        const ids = awarenessClients(update);
        if (ids.some((c) => c !== m.clientID)) throw new CapmeshError('INVALID_ARGUMENT', 'an awareness update may speak only for the client ID given at join');
        applyAwarenessUpdate(this.awareness, update, m);
      },
      leave: () => {
        if (!m.gone) this.drop(m, undefined);
      },
    };
    // The viewer's member has no `update` at all: there is nothing to call.
    const member: MemberFacet =
      role === 'editor'
        ? far('yjs editor member', {
            ...common,
            update: (update: Uint8Array) => {
              check();
              try {
                applyPeerUpdate(this.doc, update, this.limits.update, m);
              } catch (e) {
                // joinDoc sends its updates fire-and-forget: the refusal reaches it through its subscriber.
                if (e instanceof CapmeshError && !m.gone) E.sendOnly(m.subscriber).refused(e.code, e.message);
                throw e;
              }
            },
          })
        : far('yjs viewer member', common);
    return {
      update: Y.encodeStateAsUpdate(this.doc, sv),
      stateVector: Y.encodeStateVector(this.doc),
      awareness: encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]),
      member,
    };
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    for (const m of [...this.members]) if (m !== origin) this.push(m, 'update', update);
    this.scheduleSave();
  };

  private readonly onAwareness = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.length === 0 || this.members.size === 0) return;
    const bytes = encodeAwarenessUpdate(this.awareness, changed);
    for (const m of [...this.members]) if (m !== origin) this.push(m, 'awareness', bytes);
  };

  /**
   * Sends one push, fire-and-forget (no answer per push), then asks for an
   * acknowledgement if `ackEvery` pushes or a quarter of the budget are not
   * yet covered by a request, else arms the idle timer. A member over its
   * queued-bytes budget is dropped (nobody else waits for it).
   */
  private push(m: MemberRecord, method: 'update' | 'awareness', bytes: Uint8Array): void {
    if (m.gone) return;
    m.pushed += bytes.length;
    if (m.pushed - m.acked > this.limits.queued) {
      this.drop(m, new CapmeshError('BUDGET_EXCEEDED', `over ${this.limits.queued} bytes of pushes unacknowledged`));
      return;
    }
    if (method === 'update') E.sendOnly(m.subscriber).update(bytes);
    else E.sendOnly(m.subscriber).awareness(bytes);
    m.unrequested++;
    if (m.unrequested >= this.limits.ackEvery || (m.pushed - m.requested) * 4 >= this.limits.queued) this.requestAck(m);
    else m.timer ??= setTimeout(() => this.requestAck(m), this.limits.ackDelayMs);
  }

  /**
   * Asks `m` to acknowledge every push sent so far: its `ack` is answered
   * after the pushes before it (per-reference order), so its answer covers
   * them. A rejected `ack` (the session ended, a push the member refused)
   * drops the member with that error.
   */
  private requestAck(m: MemberRecord): void {
    if (m.timer !== undefined) clearTimeout(m.timer);
    m.timer = undefined;
    if (m.gone || m.requested === m.pushed) return;
    const upTo = m.pushed;
    m.requested = upTo;
    m.unrequested = 0;
    E(m.subscriber)
      .ack()
      .then(
        () => {
          if (upTo > m.acked) m.acked = upTo;
        },
        (e: unknown) => {
          if (!m.gone) this.drop(m, e instanceof CapmeshError ? e : new CapmeshError('DISCONNECTED', 'an acknowledgement failed'));
        },
      );
  }

  /** Forgets a member and its presence; tells it why unless it left itself. */
  private drop(m: MemberRecord, reason: CapmeshError | undefined): void {
    m.gone = true;
    if (m.timer !== undefined) clearTimeout(m.timer);
    m.timer = undefined;
    this.members.delete(m);
    if (this.awareness.getStates().has(m.clientID)) removeAwarenessStates(this.awareness, [m.clientID], m);
    if (reason) E.sendOnly(m.subscriber).closed(reason.code, reason.message);
  }

  private scheduleSave(): void {
    if (!this.store || this.ended) return;
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  /** Writes the whole state, one write at a time; updates during a write are coalesced into the next. */
  private async writeLoop(): Promise<void> {
    const { store, prefix, onError } = this.store!;
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await store.set(`${prefix}state`, Y.encodeStateAsUpdate(this.doc));
          this.saveError = undefined;
        } catch (e) {
          this.saveError = e;
          onError(e);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  async saved(): Promise<void> {
    await this.writing;
    if (this.saveError !== undefined) throw this.saveError;
  }

  /** Ends serving: drops every member with `reason`, detaches from the document. Idempotent. */
  end(reason: CapmeshError): void {
    if (this.ended) return;
    this.ended = reason;
    this.doc.off('update', this.onUpdate);
    this.awareness.off('update', this.onAwareness);
    for (const m of [...this.members]) this.drop(m, reason);
    if (this.ownsAwareness) this.awareness.destroy();
  }

  scheduleInitialSave(): void {
    this.scheduleSave();
  }
}

/**
 * Shares `ydoc` from `vat` (a Node `EngineVat` or a `BrowserVat`) and returns
 * an editor link and a viewer link (sturdyrefs). Members join with
 * `joinDoc`; the host pushes every update to every member as it happens
 * (never polled, fire-and-forget, acknowledged in batches: see `ackEvery`),
 * in the order `ydoc` emitted them, and merges members' updates into `ydoc`
 * (its `update` event's origin is then an internal member object, not a
 * value of yours).
 *
 * With `options.store` the share is persistent (see {@link ShareDocOptions});
 * on a browser vat that needs {@link yjsKinds} among `startBrowserVat`'s
 * `kinds`, on a Node vat `shareDoc` defines the kind itself (call
 * {@link defineYjsKinds} right after `createVat` so that a member arriving
 * before `shareDoc` is not refused).
 *
 * Failure: `INVALID_ARGUMENT` for a bad option or a name already shared on
 * this vat; the store's error when reading it fails.
 */
export async function shareDoc(vat: Vat, ydoc: Y.Doc, options: ShareDocOptions = {}): Promise<SharedDoc> {
  if (!(ydoc instanceof Y.Doc)) throw new CapmeshError('INVALID_ARGUMENT', '`ydoc` must be a Y.Doc', { detail: { argument: 'ydoc' } });
  const limits = {
    update: positiveOption(options.maxUpdateBytes, 'maxUpdateBytes', DEFAULT_MAX_UPDATE_BYTES),
    awareness: positiveOption(options.maxAwarenessBytes, 'maxAwarenessBytes', DEFAULT_MAX_AWARENESS_BYTES),
    queued: positiveOption(options.maxQueuedBytesPerMember, 'maxQueuedBytesPerMember', DEFAULT_MAX_QUEUED_BYTES_PER_MEMBER),
    members: positiveOption(options.maxMembers, 'maxMembers', DEFAULT_MAX_MEMBERS),
    ackEvery: positiveOption(options.ackEvery, 'ackEvery', DEFAULT_ACK_EVERY),
    ackDelayMs: positiveOption(options.ackDelayMs, 'ackDelayMs', DEFAULT_ACK_DELAY_MS),
  };
  const name = options.name ?? 'doc';
  if (typeof name !== 'string' || !NAME.test(name)) throw new CapmeshError('INVALID_ARGUMENT', '`name` must be 1 to 64 letters, digits, `.`, `_` or `-`', { detail: { argument: 'name' } });
  const awareness = options.awareness ?? new Awareness(ydoc);
  const owns = options.awareness === undefined;
  const store = options.store;

  if (!store) {
    const share = new Share(ydoc, awareness, owns, limits, undefined);
    share.uris = { editor: await vat.register(share.facet('editor')), viewer: await vat.register(share.facet('viewer')) };
    return handle(vat, share, undefined, undefined);
  }

  const registry = registryFor(vat);
  registry.reserve(name);
  const prefix = `capmesh-yjs/${name}/`;
  try {
    const state = await store.get(`${prefix}state`);
    if (state instanceof Uint8Array) Y.applyUpdate(ydoc, state, store);
    const share = new Share(ydoc, awareness, owns, limits, { store, prefix, onError: options.onError ?? (() => undefined) });
    let editor = await store.get(`${prefix}editor`);
    let viewer = await store.get(`${prefix}viewer`);
    if (typeof editor !== 'string' || typeof viewer !== 'string') {
      editor = await registry.register(vat, name, 'editor');
      viewer = await registry.register(vat, name, 'viewer');
      await store.set(`${prefix}editor`, editor);
      await store.set(`${prefix}viewer`, viewer);
    }
    share.uris = { editor, viewer };
    registry.serve(name, share);
    share.scheduleInitialSave();
    return handle(vat, share, registry, { store, prefix, name });
  } catch (e) {
    registry.release(name);
    throw e;
  }
}

function handle(vat: Vat, share: Share, registry: ShareRegistry | undefined, persisted: { store: Store; prefix: string; name: string } | undefined): SharedDoc {
  return {
    editor: share.uris.editor,
    viewer: share.uris.viewer,
    members: () => share.members.size,
    saved: () => share.saved(),
    async revoke() {
      share.end(new CapmeshError('NOT_FOUND', 'this document share was revoked'));
      await Promise.all([vat.revoke(share.uris.editor), vat.revoke(share.uris.viewer)]);
      if (persisted) {
        await share.saved().catch(() => undefined);
        registry?.release(persisted.name);
        await Promise.all(['editor', 'viewer', 'state'].map((k) => persisted.store.delete(`${persisted.prefix}${k}`)));
      }
    },
    async close() {
      share.end(new CapmeshError('DISCONNECTED', 'the host closed this document share'));
      await share.saved();
      if (persisted) registry?.release(persisted.name);
    },
  };
}

export type { Share };
