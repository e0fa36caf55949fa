import type { CapmeshError } from '../util/errors.js';
import type { EngineVat, RegisterOptions, SessionInfo } from '../mesh/index.js';
import { E, far } from '../vat/index.js';
import type { SyrupValue } from '../syrup/types.js';
import type { PeerLocator } from '../wire/index.js';
import type { RelayStateDetail } from './events.js';

/**
 * The worker's side of the page link: the admin object, the root of the page
 * link (page-link.ts; never registered in the vat, so only the page reaches
 * it), and the pushes that keep the page's handle current (events, the
 * session mirror, the relay state).
 *
 * Ordering: everything a page listener is told goes over the one page link
 * as `sendOnly` messages, so it arrives in the order sent; on each
 * session change the new session list is pushed before the peer events it
 * causes. Ownership: the admin belongs to the worker's vat; `close()` (or
 * `stop()`) ends its timer.
 */

/** What the page subscribes with. */
export interface PageListener {
  event(name: string, detail: Record<string, unknown>): void;
  /** The session list (no `port` sessions); `changed` is false for a stats-only refresh. */
  sessions(list: SessionInfo[], changed: boolean): void;
}

/** The worker's relay client as the admin sees it (undefined: no relay). */
export interface RelayStateSource {
  current(): RelayStateDetail;
  /** Calls `listener` on every state change; returns an unsubscribe function. */
  on(listener: (detail: RelayStateDetail) => void): () => void;
}

export interface WorkerAdminOptions {
  readonly extension?: object | undefined;
  readonly relay?: RelayStateSource | undefined;
  /** How often the session list is pushed while sessions are open, for fresh `stats` (0: only on changes). Default 1 000 ms. */
  readonly sessionsRefreshMs?: number;
}

/** The methods the page calls (see `page-handle.ts`). */
export interface WorkerAdmin {
  designator(): string;
  locators(): PeerLocator[];
  register(obj: object, options?: RegisterOptions): string;
  registerPersistent(kind: string, data: SyrupValue): string;
  enliven(uri: string): unknown;
  revoke(uri: string): boolean;
  /** Rejects (never fulfils) with the error that ended the session to `peer`: a rejection keeps its code across the link. */
  whenSessionEnds(peer: PeerLocator): void;
  extension(): unknown;
  defineKinds(names: string[], host: object): void;
  subscribe(listener: PageListener): void;
  close(): void;
}

interface KindHost {
  make(kind: string, data: SyrupValue, ctx: object): object;
}

/** Plain data only: what crosses the page link (a locator without `form`, stats copied). */
export function plainSession(s: SessionInfo): SessionInfo {
  return {
    peer: plainLocator(s.peer),
    transport: s.transport,
    designator: s.designator,
    dialect: s.dialect,
    dialectSource: s.dialectSource,
    outbound: s.outbound,
    proven: s.proven,
    sessionId: s.sessionId,
    path: s.path,
    stats: { ...s.stats },
  };
}

function plainLocator(l: PeerLocator): PeerLocator {
  return { transport: l.transport, designator: l.designator, hints: l.hints ? { ...l.hints } : null };
}

/**
 * Builds the admin object for `vat`, and starts watching its sessions (for
 * the page's events and mirror). `emit` is returned so the worker can send
 * its own events (e.g. `direct-refused`) to every subscribed page.
 */
export function makeWorkerAdmin(
  vat: EngineVat,
  options: WorkerAdminOptions = {},
): { admin: object; emit(name: string, detail: Record<string, unknown>): void; recheck(): void; stop(): void } {
  const listeners = new Set<PageListener>();
  const networkSessions = (): SessionInfo[] => vat.sessions().filter((s) => s.transport !== 'port').map(plainSession);
  const emit = (name: string, detail: Record<string, unknown>): void => {
    for (const l of listeners) E.sendOnly(l).event(name, detail);
  };
  const push = (changed: boolean): void => {
    if (listeners.size === 0) return;
    const list = networkSessions();
    for (const l of listeners) E.sendOnly(l).sessions(list, changed);
  };

  // Peer events: the list is pushed first, then what changed.
  const known = new Map<string, string>();
  const ends = new Map<string, Promise<CapmeshError>>();
  const check = (): void => {
    const list = networkSessions();
    push(true);
    const now = new Map(list.map((s) => [s.designator, s]));
    for (const [designator, s] of now) {
      const before = known.get(designator);
      if (before === undefined) {
        emit('peer-connected', { designator, path: s.path });
        // Unproven inbound sessions are never "the session to" their claimed peer: no end reason for them.
        if (s.proven || s.outbound) ends.set(designator, vat.whenSessionEnds(s.peer));
      } else if (before !== s.path) emit('path-changed', { designator, from: before, to: s.path });
    }
    for (const [designator] of known) {
      if (now.has(designator)) continue;
      const end = ends.get(designator);
      ends.delete(designator);
      // The vat settles `whenSessionEnds` right after it reports the change: wait for the reason.
      if (end) void end.then((e) => emit('peer-disconnected', { designator, code: e.code, message: e.message }));
      else emit('peer-disconnected', { designator });
    }
    known.clear();
    for (const [d, s] of now) known.set(d, s.path);
  };
  const offSessions = vat.onSessionsChanged(check);
  const offRelay = options.relay?.on((detail) => emit('relay-state', { ...detail }));

  const refreshMs = options.sessionsRefreshMs ?? 1_000;
  let lastEmpty = true;
  const timer =
    refreshMs > 0
      ? setInterval(() => {
          const empty = vat.sessions().every((s) => s.transport === 'port');
          if (!(empty && lastEmpty)) push(false);
          lastEmpty = empty;
        }, refreshMs)
      : undefined;
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    offSessions();
    offRelay?.();
  };

  const admin = far('browser vat admin', {
    designator: () => vat.designator,
    locators: () => vat.locators().filter((l) => l.transport !== 'port').map(plainLocator),
    register: (obj: object, opts?: RegisterOptions) => vat.register(obj, opts),
    registerPersistent: (kind: string, data: SyrupValue) => vat.registerPersistent(kind, data),
    enliven: (uri: string) => vat.enliven(uri),
    revoke: (uri: string) => vat.revoke(uri),
    whenSessionEnds: async (peer: PeerLocator) => {
      throw await vat.whenSessionEnds(peer);
    },
    defineKinds: (names: string[], host: KindHost) => {
      for (const kind of names) {
        vat.defineKind(kind, (data, ctx) =>
          E(host).make(
            kind,
            data,
            far('persistent context', {
              save: (next: SyrupValue) => ctx.save(next),
              uri: () => ctx.uri,
              enliven: (ref: string) => ctx.enliven(ref),
              registerPersistent: (other: string, next: SyrupValue) => ctx.registerPersistent(other, next),
            }),
          ) as Promise<object>,
        );
      }
    },
    subscribe: (listener: PageListener) => {
      listeners.add(listener);
      // A new subscriber starts from the current state.
      E.sendOnly(listener).sessions(networkSessions(), true);
      if (options.relay) E.sendOnly(listener).event('relay-state', { ...options.relay.current() });
    },
    extension: () => options.extension ?? null,
    close: async () => {
      stop();
      await vat.close();
    },
  } satisfies Record<keyof WorkerAdmin, unknown>);
  // `recheck`: a session's path changed (no session opened or ended): compare and emit `path-changed`.
  return { admin, emit, recheck: check, stop };
}
