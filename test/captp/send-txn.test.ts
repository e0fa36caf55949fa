import { describe, expect, it } from 'vitest';
import { ExportTable } from '../../src/captp/export-table.js';
import { SendTxn } from '../../src/captp/send-txn.js';

const table = () => new ExportTable({}, 100);
const counts = (t: ExportTable) => [...t.entries()].filter(([pos]) => pos !== 0).map(([pos, e]) => [pos, e.refs, e.promise]);

describe('SendTxn: an outgoing message’s exports, committed only after it encoded', () => {
  it('one export, sent twice in the message: one position, two sends, visible only after commit', () => {
    const t = table();
    const txn = new SendTxn(t);
    const a = {};
    expect(txn.exportRef(a, false)).toBe(1);
    expect(txn.exportRef(a, false)).toBe(1);
    expect(counts(t)).toEqual([]);
    txn.commit();
    expect(counts(t)).toEqual([[1, 2, false]]);
    expect(t.positionOf(a)).toBe(1);
  });

  it('several exports (the first one repeated after others): each counted, committed in first-export order', () => {
    const t = table();
    const txn = new SendTxn(t);
    const [a, b, c] = [{}, {}, {}];
    expect([txn.exportRef(a, false), txn.exportRef(b, true), txn.exportRef(a, false), txn.exportRef(c, false), txn.exportRef(b, true)]).toEqual([1, 2, 1, 3, 2]);
    txn.commit();
    expect(counts(t)).toEqual([
      [1, 2, false],
      [2, 2, true],
      [3, 1, false],
    ]);
    // A second message adds to the existing entries.
    const next = new SendTxn(t);
    expect(next.exportRef(b, true)).toBe(2);
    next.commit();
    expect(counts(t)).toEqual([
      [1, 2, false],
      [2, 3, true],
      [3, 1, false],
    ]);
  });

  it('a dropped transaction (encoding threw) changes nothing, and its reserved position is never reused', () => {
    const t = table();
    const dropped = new SendTxn(t);
    dropped.exportRef({}, false);
    dropped.exportRef({}, false);
    const txn = new SendTxn(t);
    const a = {};
    expect(txn.exportRef(a, false)).toBe(3);
    txn.commit();
    txn.commit(); // a second commit adds nothing
    expect(counts(t)).toEqual([[3, 1, false]]);
  });

  it('after-commit effects run in order, once', () => {
    const txn = new SendTxn(table());
    const ran: number[] = [];
    txn.afterCommit(() => ran.push(1));
    txn.afterCommit(() => ran.push(2));
    txn.commit();
    txn.runAfterCommit();
    txn.runAfterCommit();
    expect(ran).toEqual([1, 2]);
  });
});
