import { describe, expect, it } from 'vitest';
import { Float64, float64, record, sym } from '../../src/syrup/types.js';
import { fromHex } from '../../src/util/bytes.js';
import { publicKeyToSyrup, signatureToSyrup } from '../../src/crypto/forms.js';
import { DIALECTS, type Dialect } from '../../src/wire/dialect.js';
import { answerDesc, exportDesc, importObject, importPromise } from '../../src/wire/descriptors.js';
import { opFromRecord } from '../../src/wire/read-op.js';
import { opToRecords } from '../../src/wire/write-op.js';
import type { DeliverOp, GcAnswersOp, GcExportsOp, ListenOp, Op } from '../../src/wire/ops.js';
import { codeOf } from '../helpers/codes.js';

const { spec, 'suite-2026-02': suite, endo, goblins } = DIALECTS;
const ALL: [string, Dialect][] = Object.entries(DIALECTS);

const KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SIG = Uint8Array.from({ length: 64 }, (_, i) => i * 3);
const LOC = { transport: 'tcp-testing-only', designator: 'test', hints: { host: '127.0.0.1', port: '22046' } };

const fireAndForget: DeliverOp = { op: 'deliver', to: exportDesc(0), args: [sym('fulfill'), 'x'], answerPos: null, resolveMe: null };
const listen: ListenOp = { op: 'listen', to: answerDesc(3), listenDesc: importPromise(2) };
const gcExports: GcExportsOp = {
  op: 'gc-exports',
  entries: [
    { position: 1, delta: 2 },
    { position: 5, delta: 1 },
  ],
};
const gcAnswers: GcAnswersOp = { op: 'gc-answers', positions: [3, 0] };

describe('opToRecords: the dialect decides the written form', () => {
  it('fire-and-forget: op:deliver … f f versus op:deliver-only', () => {
    const current = record('op:deliver', record('desc:export', 0n), [sym('fulfill'), 'x'], false, false);
    const old = record('op:deliver-only', record('desc:export', 0n), [sym('fulfill'), 'x']);
    expect(opToRecords(fireAndForget, spec)).toStrictEqual([current]);
    expect(opToRecords(fireAndForget, endo)).toStrictEqual([current]);
    expect(opToRecords(fireAndForget, suite)).toStrictEqual([old]);
    expect(opToRecords(fireAndForget, goblins)).toStrictEqual([old]);
  });

  it('a deliver with an answer or a resolver is op:deliver in every dialect', () => {
    const withAnswer: DeliverOp = { ...fireAndForget, answerPos: 4 };
    const withResolver: DeliverOp = { ...fireAndForget, resolveMe: importObject(1) };
    for (const [, d] of ALL) {
      expect(opToRecords(withAnswer, d)).toStrictEqual([
        record('op:deliver', record('desc:export', 0n), [sym('fulfill'), 'x'], 4n, false),
      ]);
      expect(opToRecords(withResolver, d)).toStrictEqual([
        record('op:deliver', record('desc:export', 0n), [sym('fulfill'), 'x'], false, record('desc:import-object', 1n)),
      ]);
    }
  });

  it('listen: 2 fields in spec, 3 (wants-partial f) elsewhere', () => {
    const two = record('op:listen', record('desc:answer', 3n), record('desc:import-promise', 2n));
    const three = record('op:listen', record('desc:answer', 3n), record('desc:import-promise', 2n), false);
    expect(opToRecords(listen, spec)).toStrictEqual([two]);
    for (const d of [suite, endo, goblins]) expect(opToRecords(listen, d)).toStrictEqual([three]);
  });

  it('gc-exports: plural, singular label with lists, or one record per position', () => {
    expect(opToRecords(gcExports, spec)).toStrictEqual([record('op:gc-exports', [1n, 5n], [2n, 1n])]);
    expect(opToRecords(gcExports, endo)).toStrictEqual([record('op:gc-exports', [1n, 5n], [2n, 1n])]);
    expect(opToRecords(gcExports, suite)).toStrictEqual([record('op:gc-export', [1n, 5n], [2n, 1n])]);
    expect(opToRecords(gcExports, goblins)).toStrictEqual([record('op:gc-export', 1n, 2n), record('op:gc-export', 5n, 1n)]);
  });

  it('gc-answers: plural, singular label with a list, or one record per position', () => {
    expect(opToRecords(gcAnswers, spec)).toStrictEqual([record('op:gc-answers', [3n, 0n])]);
    expect(opToRecords(gcAnswers, suite)).toStrictEqual([record('op:gc-answer', [3n, 0n])]);
    expect(opToRecords(gcAnswers, goblins)).toStrictEqual([record('op:gc-answer', 3n), record('op:gc-answer', 0n)]);
  });

  it('an empty GC batch: one record with empty lists, or none when singular', () => {
    expect(opToRecords({ op: 'gc-answers', positions: [] }, spec)).toStrictEqual([record('op:gc-answers', [])]);
    expect(opToRecords({ op: 'gc-exports', entries: [] }, suite)).toStrictEqual([record('op:gc-export', [], [])]);
    expect(opToRecords({ op: 'gc-exports', entries: [] }, goblins)).toStrictEqual([]);
  });

  it('start-session, abort, get, index, untag are the same in every dialect', () => {
    const ops: [Op, ReturnType<typeof record>][] = [
      [
        { op: 'start-session', captpVersion: 'goblins-0.12', sessionPubkey: KEY, location: LOC, locationSig: SIG },
        record(
          'op:start-session',
          'goblins-0.12',
          publicKeyToSyrup(KEY),
          record('ocapn-peer', sym('tcp-testing-only'), 'test', { host: '127.0.0.1', port: '22046' }),
          signatureToSyrup(SIG),
        ),
      ],
      [{ op: 'abort', reason: 'bye' }, record('op:abort', 'bye')],
      [{ op: 'get', to: answerDesc(1), field: 'f', answerPos: 2 }, record('op:get', record('desc:answer', 1n), 'f', 2n)],
      [{ op: 'index', to: exportDesc(1), index: -1n, answerPos: 0 }, record('op:index', record('desc:export', 1n), -1n, 0n)],
      [{ op: 'untag', to: answerDesc(1), tag: 't', answerPos: 9 }, record('op:untag', record('desc:answer', 1n), 't', 9n)],
      [{ op: 'pick', fields: [1n, 2n, 3n] }, record('op:pick', 1n, 2n, 3n)],
      [{ op: 'bootstrap', fields: [] }, record('op:bootstrap')],
    ];
    for (const [, d] of ALL) {
      for (const [op, rec] of ops) expect(opToRecords(op, d)).toStrictEqual([rec]);
    }
  });

  it('endo folds float −0 to +0 inside args, everywhere else −0 is kept', () => {
    const op: DeliverOp = { ...fireAndForget, args: [float64(-0), [record('x', float64(-0))], { k: float64(-0) }] };
    const [folded] = opToRecords(op, endo);
    const args = folded!.fields[1] as unknown as [Float64, [ReturnType<typeof record>], { k: Float64 }];
    expect(Object.is(args[0].value, 0)).toBe(true);
    expect(Object.is((args[1][0].fields[0] as Float64).value, 0)).toBe(true);
    expect(Object.is(args[2].k.value, 0)).toBe(true);
    const [kept] = opToRecords(op, spec);
    expect(kept!.fields[1]).toBe(op.args);
  });

  it('every written record reads back as the op written (Goblins GC: entries concatenated)', () => {
    const ops: Op[] = [fireAndForget, listen, gcExports, gcAnswers, { ...fireAndForget, answerPos: 0, resolveMe: importPromise(3) }];
    for (const [, d] of ALL) {
      for (const op of ops) {
        const back = opToRecords(op, d).map((r) => opFromRecord(r));
        if (back.length === 1) {
          expect(back[0]).toStrictEqual(op);
        } else if (op.op === 'gc-exports') {
          expect(back.flatMap((b) => (b.op === 'gc-exports' ? b.entries : []))).toStrictEqual(op.entries);
        } else if (op.op === 'gc-answers') {
          expect(back.flatMap((b) => (b.op === 'gc-answers' ? b.positions : []))).toStrictEqual(op.positions);
        } else {
          expect.unreachable(`${op.op} wrote ${back.length} records`);
        }
      }
    }
  });
});

describe('opToRecords: bad typed values are refused before anything is written', () => {
  const bad: [string, Op, string][] = [
    ['deliver to an import', { ...fireAndForget, to: importObject(0) } as unknown as Op, 'INVALID_ARGUMENT'],
    ['deliver with an export as resolver', { ...fireAndForget, resolveMe: exportDesc(1) } as unknown as Op, 'INVALID_ARGUMENT'],
    ['deliver with a negative answer', { ...fireAndForget, answerPos: -1 }, 'INVALID_ARGUMENT'],
    ['deliver with a fractional answer', { ...fireAndForget, answerPos: 1.5 }, 'INVALID_ARGUMENT'],
    ['deliver with non-array args', { ...fireAndForget, args: 'x' } as unknown as Op, 'INVALID_ARGUMENT'],
    ['listen with an export listener', { ...listen, listenDesc: exportDesc(1) } as unknown as Op, 'INVALID_ARGUMENT'],
    ['gc with a zero delta', { op: 'gc-exports', entries: [{ position: 1, delta: 0 }] }, 'INVALID_ARGUMENT'],
    ['gc with a negative position', { op: 'gc-answers', positions: [-1] }, 'INVALID_ARGUMENT'],
    ['index as a number', { op: 'index', to: answerDesc(0), index: 1, answerPos: 1 } as unknown as Op, 'INVALID_ARGUMENT'],
    ['start-session with a short key', { op: 'start-session', captpVersion: '1.0', sessionPubkey: new Uint8Array(31), location: LOC, locationSig: SIG }, 'CRYPTO_BAD_KEY'],
    ['an unknown op', { op: 'flush' } as unknown as Op, 'INVALID_ARGUMENT'],
  ];
  it.each(bad)('%s', (_name, op, code) => {
    for (const [, d] of ALL) expect(codeOf(() => opToRecords(op, d))).toBe(code);
  });
});
