import { describe, expect, it } from 'vitest';
import { SyrupRecord, float64, record, sym, type SyrupValue } from '../../src/syrup/types.js';
import { fromHex } from '../../src/util/bytes.js';
import { publicKeyToSyrup, signatureToSyrup } from '../../src/crypto/forms.js';
import { KNOWN_OP_LABELS, opFromRecord } from '../../src/wire/read-op.js';
import { isObsoleteOp } from '../../src/wire/ops.js';
import { codeOf } from '../helpers/codes.js';

const KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SIG = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
const exp = (n: bigint) => record('desc:export', n);
const ans = (n: bigint) => record('desc:answer', n);
const iobj = (n: bigint) => record('desc:import-object', n);
const iprom = (n: bigint) => record('desc:import-promise', n);
const peer = () => record('ocapn-peer', sym('tcp-testing-only'), '0000', { host: '127.0.0.1', port: '22046' });

describe('opFromRecord: current forms', () => {
  it('reads op:start-session', () => {
    const op = opFromRecord(record('op:start-session', '1.0', publicKeyToSyrup(KEY), peer(), signatureToSyrup(SIG)));
    expect(op).toStrictEqual({
      op: 'start-session',
      captpVersion: '1.0',
      sessionPubkey: KEY,
      location: { transport: 'tcp-testing-only', designator: '0000', hints: { host: '127.0.0.1', port: '22046' } },
      locationSig: SIG,
    });
  });

  it('reads op:deliver with and without answer/resolver', () => {
    const args = [sym('fetch'), new Uint8Array([1, 2])];
    expect(opFromRecord(record('op:deliver', exp(0n), args, false, iobj(1n)))).toStrictEqual({
      op: 'deliver',
      to: { type: 'export', position: 0 },
      args,
      answerPos: null,
      resolveMe: { type: 'import-object', position: 1 },
    });
    expect(opFromRecord(record('op:deliver', ans(3n), [], 0n, false))).toStrictEqual({
      op: 'deliver',
      to: { type: 'answer', position: 3 },
      args: [],
      answerPos: 0,
      resolveMe: null,
    });
  });

  it('keeps args as the raw values read', () => {
    const args = [float64(-0), record('desc:import-object', 9n), { a: 1n }];
    const op = opFromRecord(record('op:deliver', exp(0n), args, false, false));
    expect(op.op === 'deliver' && op.args).toBe(args);
  });

  it('reads get/index/untag, gc and abort', () => {
    expect(opFromRecord(record('op:get', ans(1n), 'name', 2n))).toStrictEqual({
      op: 'get',
      to: { type: 'answer', position: 1 },
      field: 'name',
      answerPos: 2,
    });
    expect(opFromRecord(record('op:index', exp(1n), -3n, 0n))).toStrictEqual({
      op: 'index',
      to: { type: 'export', position: 1 },
      index: -3n,
      answerPos: 0,
    });
    const untag = { op: 'untag', to: { type: 'answer', position: 4 }, tag: 'point', answerPos: 5 };
    expect(opFromRecord(record('op:untag', ans(4n), 'point', 5n))).toStrictEqual(untag);
    expect(opFromRecord(record('op:untag', ans(4n), sym('point'), 5n))).toStrictEqual(untag);
    expect(opFromRecord(record('op:abort', 'bye'))).toStrictEqual({ op: 'abort', reason: 'bye' });
  });

  it('parses obsolete op:pick / op:bootstrap so the session can refuse them by name', () => {
    const pick = opFromRecord(record('op:pick', ans(1n), 0n, 2n));
    expect(pick).toStrictEqual({ op: 'pick', fields: [ans(1n), 0n, 2n] });
    expect(isObsoleteOp(pick)).toBe(true);
    const boot = opFromRecord(record('op:bootstrap', 0n, iobj(0n)));
    expect(boot).toStrictEqual({ op: 'bootstrap', fields: [0n, iobj(0n)] });
    expect(isObsoleteOp(boot)).toBe(true);
    expect(isObsoleteOp({ op: 'abort', reason: '' })).toBe(false);
  });

  it('lists the labels it knows', () => {
    expect(KNOWN_OP_LABELS).toContain('op:deliver-only');
    expect(KNOWN_OP_LABELS).toContain('op:gc-answer');
    expect(KNOWN_OP_LABELS.every((l) => l.startsWith('op:'))).toBe(true);
  });
});

describe('opFromRecord: older variants read as the current form', () => {
  const variants: [string, SyrupValue, SyrupValue][] = [
    ['op:deliver-only', record('op:deliver-only', exp(0n), [sym('hi')]), record('op:deliver', exp(0n), [sym('hi')], false, false)],
    ['op:deliver-only to an answer', record('op:deliver-only', ans(2n), []), record('op:deliver', ans(2n), [], false, false)],
    ['3-field listen (f)', record('op:listen', ans(1n), iobj(2n), false), record('op:listen', ans(1n), iobj(2n))],
    ['3-field listen (t)', record('op:listen', exp(1n), iprom(2n), true), record('op:listen', exp(1n), iprom(2n))],
    ['op:gc-export with lists (suite 6c146dc)', record('op:gc-export', [1n, 2n], [3n, 1n]), record('op:gc-exports', [1n, 2n], [3n, 1n])],
    ['op:gc-export single (Goblins)', record('op:gc-export', 7n, 2n), record('op:gc-exports', [7n], [2n])],
    ['op:gc-answer with a list', record('op:gc-answer', [0n, 4n]), record('op:gc-answers', [0n, 4n])],
    ['op:gc-answer single (Goblins)', record('op:gc-answer', 4n), record('op:gc-answers', [4n])],
    ['op:gc-export with empty lists', record('op:gc-export', [], []), record('op:gc-exports', [], [])],
  ];
  it.each(variants)('%s', (_name, old, current) => {
    expect(opFromRecord(old)).toStrictEqual(opFromRecord(current));
  });

  it('gc-exports yields position/delta entries in order', () => {
    expect(opFromRecord(record('op:gc-exports', [5n, 1n], [1n, 4n]))).toStrictEqual({
      op: 'gc-exports',
      entries: [
        { position: 5, delta: 1 },
        { position: 1, delta: 4 },
      ],
    });
  });
});

describe('opFromRecord: malformed messages', () => {
  const key = publicKeyToSyrup(KEY);
  const sig = signatureToSyrup(SIG);
  const table: [string, SyrupValue, 'WIRE_MALFORMED' | 'WIRE_UNKNOWN_OP'][] = [
    ['a non-record', [sym('op:abort'), 'x'], 'WIRE_MALFORMED'],
    ['a string', 'op:abort', 'WIRE_MALFORMED'],
    ['a string label', new SyrupRecord('op:abort', ['x']), 'WIRE_MALFORMED'],
    ['a bytes label', new SyrupRecord(new Uint8Array([1]), []), 'WIRE_MALFORMED'],
    ['an unknown op', record('op:flush', exp(0n), 1n, false), 'WIRE_UNKNOWN_OP'],
    ['a non-op symbol label', record('desc:export', 0n), 'WIRE_UNKNOWN_OP'],
    ['start-session with 3 fields', record('op:start-session', '1.0', key, peer()), 'WIRE_MALFORMED'],
    ['start-session with symbol version', record('op:start-session', sym('1.0'), key, peer(), sig), 'WIRE_MALFORMED'],
    ['start-session with raw key', record('op:start-session', '1.0', KEY, peer(), sig), 'WIRE_MALFORMED'],
    ['start-session with bad location', record('op:start-session', '1.0', key, 'peer', sig), 'WIRE_MALFORMED'],
    ['start-session with raw signature', record('op:start-session', '1.0', key, peer(), SIG), 'WIRE_MALFORMED'],
    ['abort without reason', record('op:abort'), 'WIRE_MALFORMED'],
    ['abort with symbol reason', record('op:abort', sym('x')), 'WIRE_MALFORMED'],
    ['deliver with 3 fields', record('op:deliver', exp(0n), [], false), 'WIRE_MALFORMED'],
    ['deliver to an import', record('op:deliver', iobj(0n), [], false, false), 'WIRE_MALFORMED'],
    ['deliver to a plain integer', record('op:deliver', 0n, [], false, false), 'WIRE_MALFORMED'],
    ['deliver with non-list args', record('op:deliver', exp(0n), sym('fetch'), false, false), 'WIRE_MALFORMED'],
    ['deliver with true answer-pos', record('op:deliver', exp(0n), [], true, false), 'WIRE_MALFORMED'],
    ['deliver with negative answer-pos', record('op:deliver', exp(0n), [], -1n, false), 'WIRE_MALFORMED'],
    ['deliver with huge answer-pos', record('op:deliver', exp(0n), [], 2n ** 64n, false), 'WIRE_MALFORMED'],
    ['deliver with float answer-pos', record('op:deliver', exp(0n), [], float64(1), false), 'WIRE_MALFORMED'],
    ['deliver with export as resolver', record('op:deliver', exp(0n), [], false, exp(1n)), 'WIRE_MALFORMED'],
    ['deliver with bad descriptor position', record('op:deliver', record('desc:export', 'x'), [], false, false), 'WIRE_MALFORMED'],
    ['deliver-only with 4 fields', record('op:deliver-only', exp(0n), [], false, false), 'WIRE_MALFORMED'],
    ['listen with 1 field', record('op:listen', ans(0n)), 'WIRE_MALFORMED'],
    ['listen with 4 fields', record('op:listen', ans(0n), iobj(1n), false, false), 'WIRE_MALFORMED'],
    ['listen with non-boolean wants-partial', record('op:listen', ans(0n), iobj(1n), 0n), 'WIRE_MALFORMED'],
    ['listen with export as listener', record('op:listen', ans(0n), exp(1n)), 'WIRE_MALFORMED'],
    ['get with symbol field', record('op:get', ans(0n), sym('x'), 1n), 'WIRE_MALFORMED'],
    ['get with f answer-pos', record('op:get', ans(0n), 'x', false), 'WIRE_MALFORMED'],
    ['index with string index', record('op:index', ans(0n), '1', 1n), 'WIRE_MALFORMED'],
    ['index with float index', record('op:index', ans(0n), 1.5, 1n), 'WIRE_MALFORMED'],
    ['untag with bytes tag', record('op:untag', ans(0n), new Uint8Array(1), 1n), 'WIRE_MALFORMED'],
    ['gc-exports with lists of different lengths', record('op:gc-exports', [1n, 2n], [1n]), 'WIRE_MALFORMED'],
    ['gc-export with lists of different lengths', record('op:gc-export', [1n], [1n, 1n]), 'WIRE_MALFORMED'],
    ['gc-exports with a zero delta', record('op:gc-exports', [1n], [0n]), 'WIRE_MALFORMED'],
    ['gc-exports with a negative delta', record('op:gc-exports', [1n], [-2n]), 'WIRE_MALFORMED'],
    ['gc-export single with zero delta', record('op:gc-export', 1n, 0n), 'WIRE_MALFORMED'],
    ['gc-exports with a negative position', record('op:gc-exports', [-1n], [1n]), 'WIRE_MALFORMED'],
    ['gc-exports with single values', record('op:gc-exports', 1n, 1n), 'WIRE_MALFORMED'],
    ['gc-export mixing list and single', record('op:gc-export', [1n], 1n), 'WIRE_MALFORMED'],
    ['gc-export with one field', record('op:gc-export', [1n]), 'WIRE_MALFORMED'],
    ['gc-answers with a single value', record('op:gc-answers', 1n), 'WIRE_MALFORMED'],
    ['gc-answers with a string position', record('op:gc-answers', ['1']), 'WIRE_MALFORMED'],
    ['gc-answer with two fields', record('op:gc-answer', 1n, 2n), 'WIRE_MALFORMED'],
  ];
  it.each(table)('%s → %s', (_name, v, code) => {
    expect(codeOf(() => opFromRecord(v))).toBe(code);
  });

  it('names the record and field in the message', () => {
    try {
      opFromRecord(record('op:deliver', exp(0n), [], -1n, false));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('<op:deliver> answer-pos');
    }
  });
});
