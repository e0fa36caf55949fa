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
  /** The first value exported (most messages export nothing, or only one resolver: no map for them). */
  private firstValue: object | undefined;
  private first: PendingExport | undefined;
  /** The others, made on the second distinct export. */
  private more: Map<object, PendingExport> | undefined;
  private after: (() => void)[] | undefined;

  constructor(private readonly exports: ExportTable) {}

  /** The position at which `value` is (or will be) exported, counting one more send of it. */
  exportRef(value: object, promise: boolean): ExportPos {
    const seen = this.firstValue === value ? this.first : this.more?.get(value);
    if (seen) {
      seen.refs++;
      return seen.pos;
    }
    const pos = this.exports.positionOf(value) ?? this.exports.reserve();
    const entry: PendingExport = { pos, refs: 1, promise };
    if (this.first === undefined) {
      this.firstValue = value;
      this.first = entry;
    } else {
      (this.more ??= new Map()).set(value, entry);
    }
    return pos;
  }

  /** Runs `effect` once the message is committed (never if it is dropped): e.g. a gift deposit on another session. */
  afterCommit(effect: () => void): void {
    (this.after ??= []).push(effect);
  }

  /** Applies the counted sends to the export table, first export first, then the others in the order they were first exported. */
  commit(): void {
    const first = this.first;
    if (first === undefined) return;
    const firstValue = this.firstValue!;
    const more = this.more;
    this.first = this.firstValue = this.more = undefined;
    this.exports.commit(first.pos, firstValue, first.refs, first.promise);
    if (more !== undefined) for (const [value, p] of more) this.exports.commit(p.pos, value, p.refs, p.promise);
  }

  /** Runs the after-commit effects, in the order they were added. Called once the message has been handed out. */
  runAfterCommit(): void {
    const after = this.after;
    if (after === undefined) return;
    this.after = undefined;
    for (const effect of after) effect();
  }
}
