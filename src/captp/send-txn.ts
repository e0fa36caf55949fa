import type { ExportTable } from './export-table.js';
import type { ExportPos } from './positions.js';

interface PendingExport {
  readonly pos: ExportPos;
  refs: number;
  readonly promise: boolean;
}

/**
 * One outgoing message's effect on the export table, held back until the
 * message has been encoded. `exportRef` hands out positions (existing ones, or
 * reserved fresh ones) and counts the sends; `commit` applies them. If encoding
 * throws, the transaction is simply dropped: the peer never saw the message,
 * so no refcount may change (a reserved position is skipped, never reused).
 */
export class SendTxn {
  /** Made on the first export (most messages export nothing, or only one resolver). */
  private pending: Map<object, PendingExport> | undefined;
  private after: (() => void)[] | undefined;

  constructor(private readonly exports: ExportTable) {}

  /** The position at which `value` is (or will be) exported, counting one more send of it. */
  exportRef(value: object, promise: boolean): ExportPos {
    const seen = this.pending?.get(value);
    if (seen) {
      seen.refs++;
      return seen.pos;
    }
    const pos = this.exports.positionOf(value) ?? this.exports.reserve();
    (this.pending ??= new Map()).set(value, { pos, refs: 1, promise });
    return pos;
  }

  /** Runs `effect` once the message is committed (never if it is dropped): e.g. a gift deposit on another session. */
  afterCommit(effect: () => void): void {
    (this.after ??= []).push(effect);
  }

  commit(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    for (const [value, p] of pending) this.exports.commit(p.pos, value, p.refs, p.promise);
  }

  /** Runs the after-commit effects, in the order they were added. Called once the message has been handed out. */
  runAfterCommit(): void {
    const after = this.after;
    if (after === undefined) return;
    this.after = undefined;
    for (const effect of after) effect();
  }
}
