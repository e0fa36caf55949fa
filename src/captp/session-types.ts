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

export interface SessionLimits {
  /** Live exports to this peer. */
  maxExports?: number;
  /** Live imports from this peer. */
  maxImports?: number;
  /** Our unanswered questions; a send over the limit rejects with `LIMIT` (the session lives on). */
  maxQuestions?: number;
  /** The peer's unanswered questions; a peer over the limit is aborted with `LIMIT`. */
  maxAnswers?: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<Required<SessionLimits>> = Object.freeze({
  maxExports: 1_000_000,
  maxImports: 1_000_000,
  maxQuestions: 1_000_000,
  maxAnswers: 1_000_000,
});

export interface SessionOptions {
  readonly dialect: Dialect;
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
  readonly closed: boolean;
}
