import { CapmeshError } from '../util/errors.js';
import { toHex } from '../util/bytes.js';
import { designatorOf, designatorSigner, generateKeyPairAsync, isKeyPair, keyPairDesignatorKeyAsync, randomSwiss, type DesignatorKey, type KeyPair } from '../crypto/index.js';
import { DEFAULT_SYRUP_LIMITS, type SyrupLimits } from '../syrup/types.js';
import { SESSION_LIMIT_NAMES, finalizationRegistryFinalizer, type FinalizerFactory, type SessionLimits, type SessionStats } from '../captp/index.js';
import { dialectFor, locatorsEqual, type Dialect, type DialectName, type PeerLocator, type SturdyRef } from '../wire/index.js';
import { E, type Remote } from '../vat/index.js';
import type { Connection, Netlayer } from '../netlayer/types.js';
import { ConnectionShell, DEFAULT_SHELL_LIMITS, type DialectSource, type HelloRefusal, type ShellHost, type ShellLimits } from './connection-shell.js';
import { CROSSED_HELLOS_REASON, curvesBeforeSecondSession, helloFor, isCrossedHellos, losesCrossedHellos, startWithHello, type LocalHello } from './handshake.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { Listeners } from '../util/listeners.js';
import { SwissTable, makeBootstrap } from './bootstrap.js';
import { Handoffs } from './handoffs.js';
import type { HandoffLimits } from './handoff-limits.js';
import { formatSturdyRef, parseSturdyRef } from './uri.js';
import { loadOrCreateIdentity, memoryStore, type Store } from '../persistence/index.js';
import type { Persistable, SyrupValue } from '../syrup/types.js';
import { PersistentObjects, type KindMaker } from './persistent-objects.js';
import { checkExportable, checkLocator, checkVatOptions, dialectArgument, sturdyRefArgument } from './arguments.js';
import { assertFunction } from '../util/assert.js';
import { SessionEnds } from './session-ends.js';
import { livenessSettings, type LivenessOptions } from './liveness.js';

/**
 * Every limit and budget a vat applies, with its default: see `SessionLimits`
 * (CapTP tables and budgets, per session), `SyrupLimits` (the decoder, per
 * message), `ShellLimits` (output backpressure, per session), `HandoffLimits`
 * (handoff dials and gifts), and the inbound-session budgets below.
 */
export interface VatLimits extends SessionLimits, SyrupLimits, ShellLimits, HandoffLimits {
  /** Largest message accepted from a peer; a larger one aborts that session with `LIMIT`. Default 16 MiB. */
  maxFrameBytes?: number;
  /**
   * Most inbound sessions (connections a peer dialled to us, proven or not)
   * open at once, vat-wide. A hello that would open one more is answered with
   * `op:abort` and the connection closed (`BUDGET_EXCEEDED`, naming
   * `maxInboundSessions`); open sessions and our own dials carry on. Default 1024.
   */
  maxInboundSessions?: number;
  /**
   * Most unproven inbound sessions (a websocket or tcp-testing-only dialler,
   * which proves nothing) open at once that claim the same designator. Over
   * it the new connection is aborted with `BUDGET_EXCEEDED` (naming
   * `maxUnprovenSessionsPerDesignator`); proven sessions to that designator
   * are never counted or blocked. Default 8.
   */
  maxUnprovenSessionsPerDesignator?: number;
  /**
   * Most inbound sessions open at once from one source address
   * (`Connection.source`: the dialler's IP on tcp and websocket listeners;
   * transports without one are not counted). Over it the new connection is
   * aborted with `BUDGET_EXCEEDED` (naming `maxInboundSessionsPerSource`).
   * Default 64: room for many tabs and services behind one NAT, far below
   * `maxInboundSessions`, so one host cannot take every slot.
   */
  maxInboundSessionsPerSource?: number;
}

/** Default `VatLimits.maxInboundSessions`. */
export const DEFAULT_MAX_INBOUND_SESSIONS = 1024;
/** Default `VatLimits.maxUnprovenSessionsPerDesignator`. */
export const DEFAULT_MAX_UNPROVEN_SESSIONS_PER_DESIGNATOR = 8;
/** Default `VatLimits.maxInboundSessionsPerSource`. */
export const DEFAULT_MAX_INBOUND_SESSIONS_PER_SOURCE = 64;

/** Connections refused by this vat's session rules since it started, by cause (see `Vat.refusals`). */
export interface SessionRefusals {
  /** Inbound connections refused by `maxInboundSessions`. */
  readonly maxInboundSessions: number;
  /** Inbound connections refused by `maxUnprovenSessionsPerDesignator`. */
  readonly maxUnprovenSessionsPerDesignator: number;
  /** Inbound connections refused by `maxInboundSessionsPerSource`. */
  readonly maxInboundSessionsPerSource: number;
  /** Connections aborted because the hello claimed another identity than the transport proved (`IDENTITY_MISMATCH`). */
  readonly identityMismatch: number;
}

export interface VatOptions {
  /** How this vat reaches and is reached by others. The first one names the vat in `register`'s URIs. */
  readonly netlayers: readonly Netlayer[];
  /**
   * The OCapN dialect this vat writes to a peer that `dialects` names none
   * for (it reads every dialect). Default `spec`.
   */
  readonly dialect?: Dialect | DialectName;
  /**
   * The dialect for one peer, by its locator; undefined for the default
   * (`dialect`, and learning). A configured dialect is written as given:
   * nothing is learned on that session. Use it for what cannot be learned
   * (Endo's −0 folding, an old Goblins' version on our own dials, the first
   * messages to a peer that reads only older forms; see docs/conformance.md,
   * "Dialects per peer"). Called before our hello on a connection we dial
   * (with the locator dialled), and on one we accept once the peer's hello
   * checked out (with the location it claims, proven or not: a dialect only
   * says how we write to that connection). Called synchronously, once per
   * connection; what it throws fails that dial or aborts that connection.
   * A name or a `Dialect`; anything else is `INVALID_ARGUMENT`.
   */
  readonly dialects?: (peer: PeerLocator) => Dialect | DialectName | undefined;
  /**
   * Learn each peer's older forms from what it writes, on sessions whose
   * dialect is not configured by `dialects` (see docs/conformance.md,
   * "Dialects per peer"): its start-session version (`goblins-0.N`) on a
   * connection it dialled, and `op:deliver-only`, 3-field `op:listen` and the
   * singular GC labels on any session. Learning only ever moves to an older
   * form the peer has written, from the next message we write. Default true.
   */
  readonly learnDialects?: boolean;
  readonly logger?: Logger;
  readonly limits?: VatLimits;
  /**
   * The long-lived designator key. Default: the one kept in `store` (made and
   * saved there on first start), so the designator and every sturdyref this
   * vat issues stay valid across restarts. With neither `identity` nor
   * `store`, a fresh key: an ephemeral identity, gone with the process.
   * An explicit `identity` wins and is not written to the store: a `KeyPair`
   * (seed in memory) or a `DesignatorKey` (a signing function + public key,
   * e.g. a non-extractable WebCrypto key from `loadOrCreateBrowserIdentity`).
   * Netlayers never see the key: each gets a `DesignatorSigner` over it that
   * signs labelled statements only.
   */
  readonly identity?: KeyPair | DesignatorKey;
  /**
   * Where the identity key and the persistent objects' records live
   * (`memoryStore()`, `fileStore(dir)` from `capmesh/node`, `indexedDbStore()`
   * from `capmesh/browser`). Default: a private memory store, so persistent
   * objects work but last only as long as the process. The vat uses keys
   * under `capmesh/`; the app may keep its own beside them.
   */
  readonly store?: Store;
  /** How imports are noticed to be collected. Default: `FinalizationRegistry`. */
  readonly finalizer?: FinalizerFactory;
  /** How long a gift withdrawal waits for its deposit (third-party handoffs). Default 30 s. */
  readonly giftTimeoutMs?: number;
  /**
   * Transports on which an inbound session's *claimed* identity is believed as
   * if the transport had proved it: such a session is used for our own dials,
   * enlivens and handoffs to the vat its hello names, and takes part in
   * crossed hellos. This is the OCapN test suite's convention on
   * `tcp-testing-only` (the suite dials us and expects us to reuse that
   * session), and `capmesh test-peer` sets it for that transport. Default:
   * none. **Never in production**: anyone who can reach us on such a
   * transport can squat any designator and receive what we send to it.
   */
  readonly trustClaimsOn?: readonly string[];
  /**
   * Heartbeats on every session, whatever the transport: after `intervalMs`
   * (default 15 000) of silence from the peer it is probed — with the
   * transport's own ping where there is one (WebSocket ping frames from
   * Node), else with a side-effect-free CapTP round trip every OCapN peer
   * answers (no unknown op is ever sent); after `timeoutMs` (default 45 000)
   * of silence the session is aborted and its promises break with
   * `DISCONNECTED` (`detail.liveness === 'timeout'`). A peer that keeps
   * talking, or answers the probes, is never cut. `intervalMs: 0` turns it
   * off. See `LivenessOptions`.
   */
  readonly liveness?: LivenessOptions;
}

/** One live session, as `vat.sessions()` reports it. */
export interface SessionInfo {
  /** The peer's locator, as it signed it in its hello. */
  readonly peer: PeerLocator;
  readonly transport: string;
  readonly designator: string;
  /** The name of the dialect we write to this peer now (it changes when we learn). */
  readonly dialect: string;
  /** Where that dialect came from: the vat's default, `VatOptions.dialects`, or learned from the peer. */
  readonly dialectSource: DialectSource;
  /** True when we dialled. */
  readonly outbound: boolean;
  /**
   * True when the transport proved the peer's designator (memory, relay,
   * WebRTC, port; websocket when we dialled). False for a session we dialled
   * by address on a transport that cannot prove (tcp-testing-only: still used
   * for our calls to that locator), and for an inbound session whose dialler
   * proved nothing (websocket / tcp inbound: it serves that dialler's requests
   * but is never used for our own dials, enlivens or handoffs).
   */
  readonly proven: boolean;
  /** Hex of the OCapN session ID. */
  readonly sessionId: string;
  /** What carries the session now, where the transport has several ways (`webrtc` / `relay`); else the transport. */
  readonly path: string;
  readonly stats: SessionStats;
}

/**
 * What every vat offers an app, wherever it runs: a Node process or worker
 * (`createVat`, which returns the larger {@link EngineVat}) and a browser
 * tab's page handle (`startBrowserVat`'s `BrowserVat`, which forwards to the
 * vat in its worker). Code written against `Vat` — `reconnecting(vat, uri)`
 * among it — works with both.
 */
export interface Vat {
  /** This vat's designator (base32 of its designator public key). */
  readonly designator: string;
  /** Our locator on each attached netlayer, in `netlayers` order. */
  locators(): PeerLocator[];
  /**
   * Exports `obj` under a fresh swiss number (or the one given, e.g. a
   * well-known one) and returns its `ocapn://…/s/<swiss>` sturdyref. Lives as
   * long as this vat (ephemeral).
   *
   * `onlyOver: transport` makes it private to one transport: only sessions
   * whose connection came through that netlayer (e.g. `port`, a browser
   * tab's private page↔worker link) can fetch it; a peer on any other
   * transport that learns the swiss number gets `NOT_FOUND`, as for an
   * unknown one. The URI then names our locator on that transport. Throws
   * `INVALID_ARGUMENT` when the vat has no such netlayer.
   */
  register(obj: object, options?: RegisterOptions): Promise<string>;
  /** Reaches the object a sturdyref names: reuses or opens a session to its vat, then `fetch`es it. */
  enliven<T = unknown>(ref: string | SturdyRef): Promise<Remote<T>>;
  /**
   * Makes an object of `kind` from `data`, records `{kind, data}` in the
   * store under a fresh swiss number, and returns its sturdyref once the
   * record is durable. After a restart with the same store (and so the same
   * identity), a fetch of that URI rebuilds the object lazily from its latest
   * `ctx.save`d data. `data` may be typed as an `interface` (see
   * `Persistable`); `INVALID_ARGUMENT` for an undefined kind,
   * `SYRUP_UNENCODABLE` for data Syrup cannot hold.
   */
  registerPersistent<T>(kind: string, data: T & Persistable<T>): Promise<string>;
  /**
   * Revokes one of this vat's sturdyrefs, ephemeral or persistent: the
   * swiss number is forgotten (and its record deleted), so later fetches
   * break with `NOT_FOUND`. References already handed out stay live: OCapN
   * has no way to revoke a live reference. To be able to cut those too,
   * hand out a caretaker (a forwarder that drops its target when revoked)
   * instead of the object itself. Resolves true when the URI named something.
   * Throws `INVALID_ARGUMENT` for a URI of another vat.
   */
  revoke(ref: string | SturdyRef): Promise<boolean>;
  /**
   * Resolves, with the error that ended it, when the session now open to
   * `peer` ends; at once (`DISCONNECTED`) when none is open. "The session to
   * `peer`" is the one our calls to it use (proven, or dialled by us); an
   * unproven inbound session that merely claims `peer` is never it. Every reference
   * from that session is broken by then (see `reconnecting`).
   */
  whenSessionEnds(peer: PeerLocator): Promise<CapmeshError>;
  /** One entry per open session (unproven inbound ones too: see `SessionInfo.proven`). Synchronous: a snapshot. */
  sessions(): SessionInfo[];
  /** Calls `listener` (with no arguments) after a session opens or ends. Returns an unsubscribe function. */
  onSessionsChanged(listener: () => void): () => void;
  /** Aborts every session, waits for pending `ctx.save`s to reach the store, and closes every netlayer. */
  close(): Promise<void>;
}

/** `Vat.register`'s options. */
export interface RegisterOptions {
  /** Use this swiss number (e.g. a well-known one) instead of a fresh random one. */
  readonly swiss?: Uint8Array;
  /** Only sessions over this transport may fetch the object (see `Vat.register`). */
  readonly onlyOver?: string;
}

/**
 * The vat that runs the CapTP engine itself (what `createVat` returns, in
 * Node or in a worker): the common {@link Vat} plus the restorer of persistent
 * kinds and the engine's introspection.
 */
export interface EngineVat extends Vat {
  /**
   * Defines how objects of `kind` are rebuilt from saved data (the
   * restorer). Define every kind right after `createVat`, before handing
   * out URIs: a fetch of a record whose kind is not defined breaks with
   * `NOT_FOUND`. A kind is defined once.
   */
  defineKind<T = SyrupValue>(kind: string, maker: KindMaker<T>): void;
  /** How many connections the session rules refused since the vat started, by cause. */
  refusals(): SessionRefusals;
  /** Every open session's tables with refcounts, as readable text. */
  dump(): string;
  /** Throws `CapmeshError('INTERNAL')` if any session's tables break an invariant. */
  check(): void;
  /** How many sessions were aborted for each budget (`BUDGET_EXCEEDED`, by `detail.budget`) since the vat started. */
  budgetTrips(): Record<string, number>;
}

function peerKey(locator: PeerLocator): string {
  return `${locator.transport}\u0000${locator.designator}`;
}

/**
 * Makes a vat: attaches its netlayers, then accepts and opens sessions.
 *
 * Identity is proven, never claimed. A session is *located* — usable for our
 * own dials, enlivens and handoffs to the peer its hello names — when its
 * transport proved that designator (`Connection.provenDesignator`; the shell
 * has checked the hello against it), or when we dialled that locator
 * ourselves on a transport that cannot prove (tcp-testing-only outbound:
 * "reached by address", for testing only). Located sessions are deduplicated
 * per peer (transport + designator): a second connection to a peer we have a
 * located session with is refused, and two crossed dials are resolved by the
 * crossed-hellos rule (both sides see the same two located connections, so
 * they reach the same answer).
 *
 * An inbound session whose dialler proved nothing (websocket, tcp inbound) is
 * *unproven*: it serves its dialler (bootstrap, fetch, deliveries), but it is
 * never returned for our dials, never counted against located sessions, and
 * references imported over it are proxied, never handed off. Unproven
 * sessions are capped per claimed designator, and inbound sessions vat-wide
 * (`VatLimits`).
 */
export async function createVat(options: VatOptions): Promise<EngineVat> {
  checkVatOptions(options);
  const dialect = options.dialect === undefined ? dialectFor('spec') : dialectArgument(options.dialect, 'dialect');
  const logger = options.logger ?? silentLogger;
  const store = options.store ?? memoryStore();
  // Through the asynchronous backend: a browser vat never loads noble for its identity (crypto/active-backend.ts).
  const identityOption = options.identity ?? (options.store ? await loadOrCreateIdentity(store) : await generateKeyPairAsync());
  const identity: DesignatorKey = isKeyPair(identityOption) ? await keyPairDesignatorKeyAsync(identityOption) : identityOption;
  const designator = designatorOf(identity.publicKey);
  const limits = options.limits ?? {};
  const liveness = livenessSettings(options.liveness);
  const decodeLimits: SyrupLimits = {
    ...DEFAULT_SYRUP_LIMITS,
    ...pick(limits, ['maxBytes', 'maxDepth', 'maxItems', 'maxIntegerDigits', 'maxStringBytes', 'maxNodes']),
  };
  const swissTable = new SwissTable();
  /** Objects registered `onlyOver` a transport, by transport: consulted only by that transport's sessions. */
  const transportTables = new Map<string, SwissTable>();
  /** What a fetch over `transport` may reach: that transport's private objects, then the vat-wide table. */
  const lookupFor = (transport: string): Pick<SwissTable, 'get'> => {
    const own = transportTables.get(transport);
    return own === undefined ? swissTable : { get: (swiss) => own.get(swiss) ?? swissTable.get(swiss) };
  };
  const sessionEnds = new SessionEnds();
  /** A sturdyref of ours, named by our first netlayer's locator (called only once it is attached). */
  const uriFor = (swiss: Uint8Array): string => formatSturdyRef({ peer: netlayers.get(options.netlayers[0]!.transport)!.locator, swiss });
  const persistent = new PersistentObjects({
    store,
    logger,
    uriFor,
    // Makers reach objects as the vat does (called only once createVat has returned the vat).
    host: { enliven: (ref) => vat.enliven(ref), localSwiss: (ref) => { const r = parseSturdyRef(ref); return isSelf(r.peer) ? r.swiss : undefined; } },
  });
  const netlayers = new Map<string, { netlayer: Netlayer; locator: PeerLocator }>();
  const shells = new Set<ConnectionShell>();
  const established = new Map<string, ConnectionShell>();
  /**
   * Callers of `sessionTo` waiting for a located session to a peer key. `connecting` is true
   * while our netlayer's `connect` for it, or our hello for that connection, is still in the
   * making (no shell yet).
   */
  const waiting = new Map<
    string,
    { promise: Promise<ConnectionShell>; resolve: (s: ConnectionShell) => void; reject: (e: unknown) => void; connecting: boolean }
  >();
  const maxInboundSessions = limits.maxInboundSessions ?? DEFAULT_MAX_INBOUND_SESSIONS;
  const maxUnprovenPerDesignator = limits.maxUnprovenSessionsPerDesignator ?? DEFAULT_MAX_UNPROVEN_SESSIONS_PER_DESIGNATOR;
  const maxPerSource = limits.maxInboundSessionsPerSource ?? DEFAULT_MAX_INBOUND_SESSIONS_PER_SOURCE;
  const refusals = { maxInboundSessions: 0, maxUnprovenSessionsPerDesignator: 0, maxInboundSessionsPerSource: 0, identityMismatch: 0 };
  const sessionListeners = new Listeners<[]>((e) => logger.warn('a sessions-changed listener threw', { error: String(e) }));
  const notifySessionsChanged = (): void => sessionListeners.emit();
  /** Outbound shells still on their way to a session, → the peer key they dial. */
  const dials = new Map<ConnectionShell, string>();
  let closing = false;
  const budgetTrips: Record<string, number> = {};

  const trustedClaims: ReadonlySet<string> = new Set(options.trustClaimsOn ?? []);
  /**
   * Located: usable for our own dials to the peer its hello names (proven, dialled by us by
   * address, or inbound on a transport whose claims this vat was told to believe).
   */
  const located = (shell: ConnectionShell): boolean => shell.outbound || shell.proven || trustedClaims.has(shell.connection.transport);

  /**
   * The peer key `shell` may become (or is) the located session for, whatever its state: a
   * located shell's hello, a dial's target, or a proven inbound connection's proven designator
   * before its hello arrived. Undefined for an unproven inbound shell.
   */
  const candidateKey = (shell: ConnectionShell): string | undefined => {
    if (shell.peer !== undefined) return located(shell) ? peerKey(shell.peer.location) : undefined;
    const dialled = dials.get(shell);
    if (dialled !== undefined) return dialled;
    const proven = shell.connection.provenDesignator;
    return proven === undefined ? undefined : peerKey({ transport: shell.connection.transport, designator: proven, hints: {} });
  };

  /** True while some live shell other than `except` may still open a located session for `key`. */
  const hasCandidate = (key: string, except: ConnectionShell): boolean => {
    for (const other of shells) if (other !== except && other.state !== 'closed' && candidateKey(other) === key) return true;
    return false;
  };

  /** The inbound-session budgets (`VatLimits`), checked when a hello arrived on an inbound connection. */
  const inboundBudget = (shell: ConnectionShell): HelloRefusal | undefined => {
    const claimed = shell.peer!.location;
    const source = shell.connection.source;
    let inbound = 0;
    let unprovenSameClaim = 0;
    let sameSource = 0;
    for (const other of shells) {
      if (other === shell || other.state !== 'open' || other.outbound) continue;
      inbound++;
      if (!located(other) && other.peer !== undefined && peerKey(other.peer.location) === peerKey(claimed)) unprovenSameClaim++;
      if (source !== undefined && other.connection.source === source) sameSource++;
    }
    let budget: 'maxInboundSessions' | 'maxInboundSessionsPerSource' | 'maxUnprovenSessionsPerDesignator' | undefined;
    let limit = 0;
    if (inbound >= maxInboundSessions) {
      budget = 'maxInboundSessions';
      limit = maxInboundSessions;
    } else if (source !== undefined && sameSource >= maxPerSource) {
      budget = 'maxInboundSessionsPerSource';
      limit = maxPerSource;
    } else if (!located(shell) && unprovenSameClaim >= maxUnprovenPerDesignator) {
      budget = 'maxUnprovenSessionsPerDesignator';
      limit = maxUnprovenPerDesignator;
    }
    if (budget === undefined) return undefined;
    refusals[budget]++;
    logger.warn('inbound session refused: over budget', { budget, limit, peer: claimed.designator, proven: shell.proven });
    const which = { maxInboundSessions: '', maxInboundSessionsPerSource: ' from this address', maxUnprovenSessionsPerDesignator: ' claiming this designator' }[budget];
    return { reason: `${budget} (${limit}) reached: no more inbound sessions${which}`, code: 'BUDGET_EXCEEDED' };
  };

  const chooseDialect = options.dialects;
  const beforeOpen = curvesBeforeSecondSession(() => shells.size, logger);

  const host: ShellHost = {
    beforeOpen,
    dialectFor(peer) {
      const configured = peer === undefined ? undefined : chooseDialect?.(peer);
      if (configured === undefined) return { dialect, configured: false };
      return { dialect: dialectArgument(configured, 'dialects(peer)'), configured: true };
    },
    learnDialects: options.learnDialects !== false,
    logger,
    finalizer: options.finalizer ?? finalizationRegistryFinalizer,
    sessionLimits: pick(limits, SESSION_LIMIT_NAMES),
    liveness,
    shellLimits: { ...DEFAULT_SHELL_LIMITS, ...pick(limits, ['maxUnsentBytes', 'pauseInputAtUnsentBytes', 'maxHeldInputBytes']) },
    decodeLimits,
    maxFrameBytes: limits.maxFrameBytes ?? decodeLimits.maxBytes ?? DEFAULT_SYRUP_LIMITS.maxBytes,
    helloArrived(shell) {
      const peer = shell.peer!.location;
      if (shell.outbound && shell.connection.remoteLocator && !locatorsEqual(shell.connection.remoteLocator, peer)) {
        refusals.identityMismatch++;
        return { reason: `the peer presented itself as ${peer.designator}.${peer.transport}, not the vat we dialled`, code: 'IDENTITY_MISMATCH' };
      }
      if (!shell.outbound) {
        const refusal = inboundBudget(shell);
        if (refusal !== undefined) return refusal;
      }
      // An unproven inbound session serves its dialler only: it is never deduplicated against
      // located sessions to the designator it claims, and never blocks them.
      if (!located(shell)) return undefined;
      const key = peerKey(peer);
      for (const other of shells) {
        if (other === shell || other.state === 'closed') continue;
        // A dial still waiting for the peer's hello counts as a connection to the peer it dialled.
        // Unproven inbound shells count for nothing.
        const otherKey = other.peer !== undefined ? (located(other) ? peerKey(other.peer.location) : undefined) : dials.get(other);
        if (otherKey !== key) continue;
        const mine = shell.diallerId();
        const theirs = other.diallerId();
        if (other.outbound !== shell.outbound && mine !== undefined && theirs !== undefined) {
          // Crossed hellos: one connection each way. The one dialled by the lower ID goes, on both
          // sides (see handshake.ts for the rule and why an inbound connection's hello waits for this).
          // A loser that is inbound is aborted before our hello was ever sent on it.
          if (losesCrossedHellos(mine, theirs)) return CROSSED_HELLOS_REASON;
          other.abort(CROSSED_HELLOS_REASON);
          continue;
        }
        return 'a session with this peer is already open';
      }
      return undefined;
    },
    bootstrapFor(shell) {
      return makeBootstrap({
        swissTable: lookupFor(shell.connection.transport),
        restore: (swiss) => persistent.restore(swiss),
        logger,
        peer: () => shell.peer?.location,
        depositGift: (giftId, value) => handoffs.deposit(shell, giftId, value),
        withdrawGift: (receipt) => handoffs.withdraw(shell, receipt),
      });
    },
    handoffIn: (shell, desc) => handoffs.received(shell, desc),
    handoffOut: (shell, value, txn) => handoffs.give(shell, value, txn),
    opened(shell) {
      queueMicrotask(notifySessionsChanged);
      dials.delete(shell);
      if (!located(shell)) {
        logger.info('unproven session open (serves its dialler only)', { claims: shell.peer!.location.designator, transport: shell.peer!.location.transport });
        return;
      }
      const key = peerKey(shell.peer!.location);
      established.set(key, shell);
      logger.info('session open', { peer: shell.peer!.location.designator, transport: shell.peer!.location.transport, outbound: shell.outbound });
      const w = waiting.get(key);
      if (w) {
        waiting.delete(key);
        w.resolve(shell);
      }
    },
    closed(shell, error) {
      if (shell.session) queueMicrotask(notifySessionsChanged);
      if (error.code === 'IDENTITY_MISMATCH' && shell.peer === undefined) refusals.identityMismatch++;
      const key = candidateKey(shell);
      const ownDial = dials.has(shell);
      shells.delete(shell);
      handoffs.sessionClosed(shell);
      dials.delete(shell);
      // A shell that could have become the located session someone waits for died before its
      // session opened. Our own dial fails the waiter, unless it lost a crossed-hellos race and
      // another live connection (the peer's proven dial to us) can still open the session
      // instead; any other candidate fails it only when it was the last. An unproven connection
      // never counts, so a waiter never hangs on one.
      const w = key === undefined || shell.session !== undefined ? undefined : waiting.get(key);
      if (w && !w.connecting) {
        const survivor = hasCandidate(key!, shell);
        if (ownDial ? !(isCrossedHellos(error) && survivor) : !survivor) {
          waiting.delete(key!);
          w.reject(error);
        }
      }
      const peer = shell.peer?.location;
      if (peer && established.get(peerKey(peer)) === shell) {
        established.delete(peerKey(peer));
        sessionEnds.ended(peerKey(peer), error);
      }
      const budget = error.code === 'BUDGET_EXCEEDED' ? error.detail?.['budget'] : undefined;
      if (typeof budget === 'string') budgetTrips[budget] = (budgetTrips[budget] ?? 0) + 1;
      logger.info('session closed', { peer: peer?.designator, code: error.code, reason: error.message });
    },
  };

  const handoffs = new Handoffs({
    openShells: () => [...shells].filter((s) => s.state === 'open'),
    sessionTo: (peer) => sessionTo(peer),
    hasSession: (peer) => established.get(peerKey(peer))?.state === 'open',
    hasNetlayer: (transport) => netlayers.has(transport),
    isSelf: (peer) => isSelf(peer),
    isLocated: (shell) => located(shell),
    logger,
    giftTimeoutMs: options.giftTimeoutMs ?? 30_000,
    limits,
  });

  const withHello = (connection: Connection, locator: PeerLocator, start: (hello: LocalHello) => void, failed: (error: unknown) => void): void =>
    startWithHello(connection, () => helloFor(locator, dialect), () => closing, start, failed);

  const adopt = (connection: Connection, transport: string): void => {
    const entry = netlayers.get(transport);
    if (!entry) throw new CapmeshError('INVALID_ARGUMENT', `no netlayer for transport "${transport}"`);
    const started = (hello: LocalHello): void => {
      let shell: ConnectionShell;
      try {
        shell = new ConnectionShell(connection, hello, host);
      } catch (error) {
        // `dialects()` threw for a connection a netlayer handed us already dialled: it goes unused.
        logger.warn('connection refused: no dialect for its peer', { transport, reason: error instanceof Error ? error.message : String(error) });
        connection.close('no dialect for this peer');
        return;
      }
      shells.add(shell);
      shell.start();
    };
    withHello(connection, entry.locator, started, (error) =>
      logger.warn('connection refused: no hello', { transport, reason: error instanceof Error ? error.message : String(error) }),
    );
  };

  for (const netlayer of options.netlayers) {
    if (netlayers.has(netlayer.transport)) {
      throw new CapmeshError('INVALID_ARGUMENT', `two netlayers for transport "${netlayer.transport}"`);
    }
    const attachment = await netlayer.attach({
      designator,
      signer: designatorSigner(identity, { legacyPeerAuth: netlayer.legacyPeerAuth === true }),
      onConnection: (connection) => {
        if (closing) {
          connection.close('vat is closing');
          return;
        }
        adopt(connection, netlayer.transport);
      },
    });
    netlayers.set(netlayer.transport, {
      netlayer,
      locator: { transport: netlayer.transport, designator: attachment.designator, hints: { ...attachment.hints } },
    });
  }
  const primary = options.netlayers[0];
  if (!primary) throw new CapmeshError('INVALID_ARGUMENT', '`netlayers` must name at least one netlayer', { detail: { argument: 'netlayers' } });

  const isSelf = (peer: PeerLocator): boolean => {
    const entry = netlayers.get(peer.transport);
    return entry !== undefined && entry.locator.designator === peer.designator;
  };

  /** The open session to `peer`, dialling if there is none. */
  const sessionTo = (peer: PeerLocator): Promise<ConnectionShell> => {
    const key = peerKey(peer);
    const open = established.get(key);
    if (open && open.state === 'open') return Promise.resolve(open);
    const pending = waiting.get(key);
    if (pending) return pending.promise;
    const entry = netlayers.get(peer.transport);
    if (!entry) {
      return Promise.reject(new CapmeshError('DISCONNECTED', `this vat has no netlayer for transport "${peer.transport}"`));
    }
    let resolve!: (s: ConnectionShell) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<ConnectionShell>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const w = { promise, resolve, reject, connecting: true };
    waiting.set(key, w);
    const fail = (error: unknown): void => {
      if (waiting.get(key)?.promise === promise) waiting.delete(key);
      reject(error);
    };
    entry.netlayer.connect(peer).then((connection) => {
      if (closing) {
        w.connecting = false;
        connection.close('vat is closing');
        fail(new CapmeshError('DISCONNECTED', 'the vat is closing'));
        return;
      }
      // `connecting` stays true until the shell exists: our hello may still be in the making (a browser).
      const started = (hello: LocalHello): void => {
        w.connecting = false;
        // The peer's own dial opened the session while ours was connecting (the waiter has it): a
        // hello on this connection would only start a crossed-hellos comparison that could abort the
        // open session. Close it before saying anything.
        if (established.get(key)?.state === 'open') {
          connection.close('a session with this peer is already open');
          return;
        }
        let shell: ConnectionShell;
        try {
          shell = new ConnectionShell(connection, hello, host, peer);
        } catch (error) {
          // `dialects(peer)` threw or named no dialect: this dial fails, the connection goes unused.
          connection.close('no dialect for this peer');
          fail(error);
          return;
        }
        shells.add(shell);
        dials.set(shell, key);
        shell.start();
      };
      withHello(connection, entry.locator, started, (error) => {
        w.connecting = false;
        fail(error);
      });
    }, (error: unknown) => {
      w.connecting = false;
      fail(error);
    });
    return promise;
  };

  const vat: EngineVat = {
    designator,
    locators: () => [...netlayers.values()].map((e) => e.locator),
    async register(obj, registerOptions = {}) {
      checkExportable(obj, 'obj');
      const swiss = registerOptions.swiss ?? randomSwiss();
      if (swiss.length === 0) throw new CapmeshError('INVALID_ARGUMENT', '`swiss` must not be empty', { detail: { argument: 'swiss' } });
      const only = registerOptions.onlyOver;
      if (only !== undefined) {
        const entry = netlayers.get(only);
        if (!entry) throw new CapmeshError('INVALID_ARGUMENT', `\`onlyOver\`: this vat has no netlayer for transport "${only}"`);
        let table = transportTables.get(only);
        if (!table) transportTables.set(only, (table = new SwissTable()));
        table.set(swiss, obj);
        return formatSturdyRef({ peer: entry.locator, swiss });
      }
      swissTable.set(swiss, obj);
      return uriFor(swiss);
    },
    defineKind(kind, maker) {
      // The maker declared the type of its kind's data; the store holds SyrupValues.
      persistent.defineKind(kind, maker as unknown as KindMaker);
    },
    async registerPersistent(kind, data) {
      return uriFor(await persistent.create(kind, data as SyrupValue));
    },
    async revoke(uriOrRef) {
      const ref = sturdyRefArgument(uriOrRef, 'ref');
      if (!isSelf(ref.peer)) throw new CapmeshError('INVALID_ARGUMENT', 'a vat can revoke only its own sturdyrefs');
      const ephemeral = swissTable.delete(ref.swiss);
      const privateOne = transportTables.get(ref.peer.transport)?.delete(ref.swiss) ?? false;
      return (await persistent.revoke(ref.swiss)) || ephemeral || privateOne;
    },
    onSessionsChanged(listener) {
      assertFunction(listener, 'listener');
      return sessionListeners.add(listener);
    },
    whenSessionEnds(peer) {
      checkLocator(peer, 'peer');
      const open = established.get(peerKey(peer));
      if (!open || open.state !== 'open') return Promise.resolve(new CapmeshError('DISCONNECTED', 'no session to that peer is open'));
      return sessionEnds.wait(peerKey(peer));
    },
    async enliven<T>(uriOrRef: string | SturdyRef): Promise<Remote<T>> {
      const ref = sturdyRefArgument(uriOrRef, 'ref');
      if (closing) throw new CapmeshError('DISCONNECTED', 'the vat is closed', { detail: { vatClosed: true } });
      if (isSelf(ref.peer)) {
        const local = lookupFor(ref.peer.transport).get(ref.swiss) ?? (await persistent.restore(ref.swiss));
        if (local === undefined) throw new CapmeshError('NOT_FOUND', 'no object is registered under that swiss number');
        return local as Remote<T>;
      }
      // A session (or a dial) that loses a crossed-hellos race may already carry our fetch; we ask again,
      // on the winner when it is located, else over a fresh dial.
      for (let attempt = 0; ; attempt++) {
        try {
          const shell = await sessionTo(ref.peer);
          const bootstrap = shell.session!.bootstrap() as { fetch(swiss: Uint8Array): Promise<unknown> };
          return (await E(bootstrap).fetch(ref.swiss)) as Remote<T>;
        } catch (e) {
          if (attempt >= 2 || !isCrossedHellos(e)) throw e;
        }
      }
    },
    sessions() {
      const out: SessionInfo[] = [];
      for (const shell of shells) {
        if (shell.state !== 'open' || !shell.session || !shell.peer) continue;
        out.push({
          peer: shell.peer.location,
          transport: shell.peer.location.transport,
          designator: shell.peer.location.designator,
          dialect: shell.dialect.name,
          dialectSource: shell.dialectSource,
          outbound: shell.outbound,
          proven: shell.proven,
          sessionId: toHex(shell.sessionId!),
          path: shell.connection.path ?? shell.peer.location.transport,
          stats: shell.session.stats(),
        });
      }
      return out;
    },
    refusals: () => ({ ...refusals }),
    dump() {
      const parts = [`vat ${designator}`];
      for (const shell of shells) if (shell.session && shell.state === 'open') parts.push(shell.session.dump());
      return parts.join('\n');
    },
    check() {
      for (const shell of shells) if (shell.state === 'open') shell.session?.check();
    },
    budgetTrips() {
      return { ...budgetTrips };
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const shell of [...shells]) shell.abort('the vat is closing', 'DISCONNECTED');
      for (const w of waiting.values()) w.reject(new CapmeshError('DISCONNECTED', 'the vat is closing'));
      waiting.clear();
      await persistent.flush();
      await Promise.all([...netlayers.values()].map((e) => e.netlayer.close()));
    },
  };
  return vat;
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}
