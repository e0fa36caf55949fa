import type { SyrupValue } from '../syrup/types.js';
import type { AnswerDesc, ExportDesc, ImportObjectDesc, ImportPromiseDesc } from './descriptors.js';
import type { PeerLocator } from './locators.js';

/**
 * The typed CapTP operations, a union discriminated on `op`.
 *
 * Every value here is the *current* form of its message; the reader folds the
 * older variants into it (`op:deliver-only` → `deliver` with no answer and no
 * resolver, 3-field `op:listen` → `listen`, `op:gc-export`/`op:gc-answer` in
 * list or single form → `gc-exports`/`gc-answers`). Which variant is *written*
 * is the dialect's business (see `dialect.ts`, `write-op.ts`).
 *
 * Positions are non-negative safe integers (plain numbers at this layer; the
 * session brands them). `args` stay raw Syrup values: the session walks them
 * for descriptors.
 */

/** The message that opens a session (pre-session). */
export interface StartSessionOp {
  readonly op: 'start-session';
  /** Compared exactly with the local version string ("1.0"; older Goblins "goblins-0.12"…). */
  readonly captpVersion: string;
  /** The sender's fresh 32-byte Ed25519 session public key. */
  readonly sessionPubkey: Uint8Array;
  /** The sender's own locator. */
  readonly location: PeerLocator;
  /** 64-byte signature by the session key over the bytes of `<my-location location>`. */
  readonly locationSig: Uint8Array;
}

/** Ends the session; valid before and after setup. */
export interface AbortOp {
  readonly op: 'abort';
  readonly reason: string;
}

export type TargetDesc = ExportDesc | AnswerDesc;
export type ResolverDesc = ImportObjectDesc | ImportPromiseDesc;

/** A message send. Fire-and-forget when both `answerPos` and `resolveMe` are null. */
export interface DeliverOp {
  readonly op: 'deliver';
  readonly to: TargetDesc;
  readonly args: readonly SyrupValue[];
  readonly answerPos: number | null;
  readonly resolveMe: ResolverDesc | null;
}

/** Asks to be told (once) how the promise `to` settles, via `fulfill`/`break` to `listenDesc`. */
export interface ListenOp {
  readonly op: 'listen';
  readonly to: TargetDesc;
  readonly listenDesc: ResolverDesc;
}

/** Pipelined field access on an eventual Struct. */
export interface GetOp {
  readonly op: 'get';
  readonly to: TargetDesc;
  readonly field: string;
  readonly answerPos: number;
}

/** Pipelined index into an eventual List; any integer (out of range breaks the answer, not the session). */
export interface IndexOp {
  readonly op: 'index';
  readonly to: TargetDesc;
  readonly index: bigint;
  readonly answerPos: number;
}

/** Pipelined unwrap of an eventual Tagged value. */
export interface UntagOp {
  readonly op: 'untag';
  readonly to: TargetDesc;
  readonly tag: string;
  readonly answerPos: number;
}

export interface GcExportEntry {
  readonly position: number;
  /** How many times the importer received this position since its last GC of it; ≥ 1. */
  readonly delta: number;
}

/** The importer releases imports. */
export interface GcExportsOp {
  readonly op: 'gc-exports';
  readonly entries: readonly GcExportEntry[];
}

/** The questioner releases answer slots. */
export interface GcAnswersOp {
  readonly op: 'gc-answers';
  readonly positions: readonly number[];
}

/** `op:pick` (removed 2025-04). Read only so the session can refuse it by name; fields kept raw. */
export interface PickOp {
  readonly op: 'pick';
  readonly fields: readonly SyrupValue[];
}

/** `op:bootstrap` (removed 2023-09; the bootstrap object is export 0). Read only to be refused by name. */
export interface BootstrapOp {
  readonly op: 'bootstrap';
  readonly fields: readonly SyrupValue[];
}

export type HandshakeOp = StartSessionOp | AbortOp;
export type SessionOp = AbortOp | DeliverOp | ListenOp | GetOp | IndexOp | UntagOp | GcExportsOp | GcAnswersOp;
export type ObsoleteOp = PickOp | BootstrapOp;
export type Op = StartSessionOp | SessionOp | ObsoleteOp;
export type OpName = Op['op'];

const OBSOLETE: ReadonlySet<OpName> = new Set(['pick', 'bootstrap']);

/** True for ops that are parsed only to be refused (`pick`, `bootstrap`). */
export function isObsoleteOp(op: Op): op is ObsoleteOp {
  return OBSOLETE.has(op.op);
}
