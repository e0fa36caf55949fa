import type { CapmeshError } from '../util/errors.js';
import type { Dialect, SessionOp } from '../wire/index.js';
import type { Scheduler } from '../vat/index.js';
import type { FinalizerFactory } from './finalizer.js';
import type { Descriptor } from '../wire/index.js';
import type { SyrupValue } from '../syrup/types.js';
import type { SendTxn } from './send-txn.js';

/**
 * Everything a `CaptpSession` needs from outside. The session does no I/O:
 * it calls these, in order, from inside its own methods.
 */
export interface SessionPorts {
  /**
   * One encoded message for the peer, with the op it encodes (for logs and
   * tests). Called in the order messages must go out; the port must keep it.
   */
  send(bytes: Uint8Array, op: SessionOp): void;
  /** Runs `turn` later (local deliveries, GC batch flushes). Must preserve order. */
  schedule: Scheduler;
  /**
   * When to send the batched `op:gc-exports` / `op:gc-answers`. Default
   * `schedule` (the next turn). A shell may wait longer so that releases
   * from many calls go out as one message instead of one per call; nothing
   * depends on releases arriving promptly.
   */
  scheduleGc?: Scheduler;
  /** Makes the finalizer that tells the session when imports are collected. */
  finalizer: FinalizerFactory;
  /** The session ended (we aborted, the peer aborted, or the transport died). Called once. */
  closed(error: CapmeshError, sentAbort: boolean): void;
  /** A signed handoff descriptor arrived in place of a reference; returns the local stand-in. Without it, such a reference breaks with `HANDOFF`. */
  handoff?(desc: Descriptor): unknown;
  /**
   * A reference imported from another session is being sent to this peer:
   * returns its replacement (a signed `desc:handoff-give` envelope) and may
   * queue effects (the gift deposit) on `txn` to run once this message is sent.
   * Undefined (or no port) means: export it from here, forwarding (proxying).
   */
  handoffOut?(value: object, txn: SendTxn): SyrupValue | undefined;
  /** Diagnostics. */
  log?(level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

/**
 * Per-session budgets: everything a peer can make this vat hold has one.
 * Each is an option with a default. A peer that goes over one is aborted
 * (`op:abort`, reason `BUDGET_EXCEEDED: <name>: …`), its session's promises
 * break with `CapmeshError('BUDGET_EXCEEDED')` whose `detail.budget` is the
 * name, and other sessions are not affected. `maxQuestions` (our own
 * questions) only rejects the local send.
 */
export interface SessionLimits {
  /** Live exports to this peer. Over it: the send that would export rejects (`LIMIT`). Default 1,000,000. */
  maxExports?: number;
  /** Live imports from this peer. Over it: the peer is aborted (`LIMIT`). Default 1,000,000. */
  maxImports?: number;
  /** Our unanswered questions; a send over the budget rejects with `BUDGET_EXCEEDED` (the session lives on). Default 100,000. */
  maxQuestions?: number;
  /**
   * The peer's open answers, settled or not (questions it asked that it has
   * not `op:gc-answers`ed yet; a busy peer's releases lag, and over a
   * microtask-only link they wait for its next macrotask). Over it: abort.
   * Default 1,000,000.
   */
  maxAnswers?: number;
  /**
   * The peer's answers that have not settled yet (work it started here that
   * is still running or waiting). Over it: abort. Default 100,000.
   */
  maxPendingAnswers?: number;
  /**
   * Messages the peer pipelined on our unresolved answers and exported
   * promises, waiting for them to settle (sends, calls, get/index/untag).
   * Released when the promise settles. Over it: abort. Default 50,000.
   */
  maxQueuedMessages?: number;
  /** Encoded bytes of those waiting messages. Over it: abort. Default 16 MiB. */
  maxQueuedBytes?: number;
  /**
   * `op:listen`s on one answer or exported promise: while it is pending, and
   * for an answer also every listen after it settled (each is answered with
   * the whole value, so repeated listens would multiply one large answer).
   * Over it: abort. Default 100.
   */
  maxListenersPerAnswer?: number;
  /** `op:listen`s waiting on pending promises, over the whole session. Over it: abort. Default 100,000. */
  maxListeners?: number;
  /**
   * References the peer hands us in one message (`desc:import-object`,
   * `desc:import-promise`, handoff descriptors): each is a table entry, and each
   * new promise costs an `op:listen` (about 0.1–0.25 ms of CPU and GC each).
   * Over it: abort. Default 1,000.
   */
  maxReferencesPerMessage?: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<Required<SessionLimits>> = Object.freeze({
  maxExports: 1_000_000,
  maxImports: 1_000_000,
  maxQuestions: 100_000,
  maxAnswers: 1_000_000,
  maxPendingAnswers: 100_000,
  maxQueuedMessages: 50_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxListenersPerAnswer: 100,
  maxListeners: 100_000,
  maxReferencesPerMessage: 1_000,
});

/** Every `SessionLimits` field name (so a vat can pick them out of its own options). */
export const SESSION_LIMIT_NAMES = Object.freeze(Object.keys(DEFAULT_SESSION_LIMITS)) as readonly (keyof SessionLimits)[];

export interface SessionOptions {
  /** What the session writes to start with (see `CaptpSession.dialect`). */
  readonly dialect: Dialect;
  /**
   * Move the dialect down to the older forms the peer's messages reveal
   * (`learnDialect` in `wire/dialect-learning.ts`). Default false: write
   * `dialect` as given.
   */
  readonly learnDialect?: boolean;
  /** The local object at export 0 (it answers `fetch`, `deposit-gift`, `withdraw-gift`). */
  readonly bootstrap: object;
  readonly limits?: SessionLimits;
  /** A short name for logs and presence names (e.g. the peer's designator prefix). */
  readonly label?: string;
}

export interface SessionStats {
  readonly exports: number;
  readonly imports: number;
  readonly questions: number;
  readonly answers: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly bytesSent: number;
  readonly gcExportsSent: number;
  readonly gcAnswersSent: number;
  /** Messages the peer pipelined on our pending answers/promises, waiting now (see `maxQueuedMessages`). */
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** The peer's `op:listen`s waiting on pending promises now. */
  readonly listeners: number;
  /** Times a budget tripped on this session (a refused local question, or the trip that aborted it). */
  readonly budgetTrips: number;
  readonly closed: boolean;
}
