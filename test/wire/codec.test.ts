import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { decode, encode, float64, record, sym } from '../../src/syrup/index.js';
import { asciiBytes, concatBytes, fromHex, toHex } from '../../src/util/bytes.js';
import {
  DIALECTS,
  decodeOp,
  encodeOp,
  exportDesc,
  importObject,
  answerDesc,
  importPromise,
  locatorFromSyrup,
  locatorToSyrup,
  myLocationBytes,
  type DeliverOp,
  type Dialect,
  type Op,
  type PeerLocator,
  type StartSessionOp,
} from '../../src/wire/index.js';
import { codeOf } from '../helpers/codes.js';

const { spec, 'suite-2026-02': suite, endo, goblins } = DIALECTS;
const ALL = Object.values(DIALECTS);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const one = (op: Op, d: Dialect) => {
  const out = encodeOp(op, d);
  expect(out).toHaveLength(1);
  return text(out[0]!);
};

const TCP: PeerLocator = { transport: 'tcp-testing-only', designator: 'test', hints: { host: '127.0.0.1', port: '22046' } };
const KEY_A = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SIG_A_MY_LOCATION = fromHex(
  'acc48558f63ed77178b62eff7f20afb01f46fbcd1c4c2d9a10dbe4dd504cdd98' +
    'd5f508f1568b3654966c80c73a4939c630e64c8bd883ff04a746d2bd5098ce0c',
);

describe('vectors from the notes', () => {
  const FETCH = `<10'op:deliver<11'desc:export0+>[5'fetch32:IO58l1laTyhcrgDKbEzFOO32MDd6zE5w]f<18'desc:import-object1+>>`;
  const fetchOp: DeliverOp = {
    op: 'deliver',
    to: exportDesc(0),
    args: [sym('fetch'), asciiBytes('IO58l1laTyhcrgDKbEzFOO32MDd6zE5w')],
    answerPos: null,
    resolveMe: importObject(1),
  };

  it('decodes the fetch request', () => {
    expect(decodeOp(asciiBytes(FETCH))).toStrictEqual(fetchOp);
  });

  it('writes the fetch request identically in every dialect (it has a resolver)', () => {
    for (const d of ALL) expect(one(fetchOp, d)).toBe(FETCH);
  });

  it('writes the tcp-testing peer locator', () => {
    const bytes = encode(locatorToSyrup(TCP));
    expect(text(bytes)).toBe(`<10'ocapn-peer16'tcp-testing-only4"test{4"host9"127.0.0.14"port5"22046}>`);
    expect(locatorFromSyrup(decode(bytes))).toStrictEqual(TCP);
  });

  it('myLocationBytes are the bytes key A signed in the notes', () => {
    const bytes = myLocationBytes(TCP);
    expect(text(bytes)).toBe(`<11'my-location<10'ocapn-peer16'tcp-testing-only4"test{4"host9"127.0.0.14"port5"22046}>>`);
    expect(ed25519.verify(SIG_A_MY_LOCATION, bytes, KEY_A)).toBe(true);
  });

  it('writes a 294-byte start-session of the shape Endo sends', () => {
    const op: StartSessionOp = {
      op: 'start-session',
      captpVersion: '1.0',
      sessionPubkey: KEY_A,
      location: { ...TCP, designator: '0000' },
      locationSig: SIG_A_MY_LOCATION,
    };
    const [bytes] = encodeOp(op, spec);
    expect(bytes).toHaveLength(294);
    const head = `<16'op:start-session3"1.0[10'public-key[3'ecc[5'curve7'Ed25519][5'flags5'eddsa][1'q32:`;
    expect(toHex(bytes!.subarray(0, head.length))).toBe(toHex(asciiBytes(head)));
    const locText = `]]]<10'ocapn-peer16'tcp-testing-only4"0000{4"host9"127.0.0.14"port5"22046}>[7'sig-val[5'eddsa[1'r32:`;
    const at = head.length + 32;
    expect(toHex(bytes!.subarray(at, at + locText.length))).toBe(toHex(asciiBytes(locText)));
    expect(decodeOp(bytes!)).toStrictEqual(op);
  });
});

describe('exact bytes per dialect', () => {
  const ff: DeliverOp = { op: 'deliver', to: exportDesc(0), args: [sym('fulfill'), '1'], answerPos: null, resolveMe: null };

  it('fire-and-forget', () => {
    const current = `<10'op:deliver<11'desc:export0+>[7'fulfill1"1]ff>`;
    const old = `<15'op:deliver-only<11'desc:export0+>[7'fulfill1"1]>`;
    expect(one(ff, spec)).toBe(current);
    expect(one(ff, endo)).toBe(current);
    expect(one(ff, suite)).toBe(old);
    expect(one(ff, goblins)).toBe(old);
  });

  it('listen', () => {
    const op: Op = { op: 'listen', to: answerDesc(3), listenDesc: importPromise(2) };
    expect(one(op, spec)).toBe(`<9'op:listen<11'desc:answer3+><19'desc:import-promise2+>>`);
    for (const d of [suite, endo, goblins]) expect(one(op, d)).toBe(`<9'op:listen<11'desc:answer3+><19'desc:import-promise2+>f>`);
  });

  it('GC', () => {
    const gcE: Op = {
      op: 'gc-exports',
      entries: [
        { position: 1, delta: 2 },
        { position: 5, delta: 1 },
      ],
    };
    const gcA: Op = { op: 'gc-answers', positions: [3] };
    expect(one(gcE, spec)).toBe(`<13'op:gc-exports[1+5+][2+1+]>`);
    expect(one(gcE, endo)).toBe(`<13'op:gc-exports[1+5+][2+1+]>`);
    expect(one(gcE, suite)).toBe(`<12'op:gc-export[1+5+][2+1+]>`);
    expect(encodeOp(gcE, goblins).map(text)).toStrictEqual([`<12'op:gc-export1+2+>`, `<12'op:gc-export5+1+>`]);
    expect(one(gcA, spec)).toBe(`<13'op:gc-answers[3+]>`);
    expect(one(gcA, suite)).toBe(`<12'op:gc-answer[3+]>`);
    expect(one(gcA, goblins)).toBe(`<12'op:gc-answer3+>`);
  });

  it('endo writes float −0 as +0; the others keep −0', () => {
    const op: DeliverOp = { ...ff, args: [float64(-0), -0] };
    const prefix = asciiBytes(`<10'op:deliver<11'desc:export0+>[`);
    const suffix = asciiBytes(`]ff>`);
    const D = (hex: string) => concatBytes(asciiBytes('D'), fromHex(hex));
    const pos = D('0000000000000000');
    const neg = D('8000000000000000');
    expect(toHex(encodeOp(op, endo)[0]!)).toBe(toHex(concatBytes(prefix, pos, pos, suffix)));
    expect(toHex(encodeOp(op, spec)[0]!)).toBe(toHex(concatBytes(prefix, neg, neg, suffix)));
  });
});

describe('decodeOp errors keep their layer', () => {
  const table: [string, string, string][] = [
    ['truncated bytes', `<10'op:deliver<11'desc:export0+>`, 'SYRUP_'],
    ['garbage', `hello`, 'SYRUP_'],
    ['non-canonical integer', `<8'op:abort00+>`, 'SYRUP_'],
    ['trailing bytes', `<8'op:abort1"x>t`, 'SYRUP_'],
    ['a list, not a record', `[8'op:abort1"x]`, 'WIRE_MALFORMED'],
    ['a string label', `<8"op:abort1"x>`, 'WIRE_MALFORMED'],
    ['a bad field', `<8'op:abort1'x>`, 'WIRE_MALFORMED'],
    ['an unknown op', `<8'op:flush>`, 'WIRE_UNKNOWN_OP'],
  ];
  it.each(table)('%s → %s*', (_name, input, code) => {
    expect(codeOf(() => decodeOp(asciiBytes(input)))).toMatch(new RegExp(`^${code}`));
  });

  it('applies the given limits', () => {
    const bytes = encodeOp({ op: 'abort', reason: 'x'.repeat(100) }, spec)[0]!;
    expect(decodeOp(bytes)).toStrictEqual({ op: 'abort', reason: 'x'.repeat(100) });
    expect(codeOf(() => decodeOp(bytes, { maxBytes: 50 }))).toBe('SYRUP_LIMIT');
  });

  it('reads every old variant from bytes', () => {
    const pairs: [string, string][] = [
      [`<15'op:deliver-only<11'desc:export0+>[]>`, `<10'op:deliver<11'desc:export0+>[]ff>`],
      [`<9'op:listen<11'desc:answer3+><18'desc:import-object2+>f>`, `<9'op:listen<11'desc:answer3+><18'desc:import-object2+>>`],
      [`<12'op:gc-export[1+][2+]>`, `<13'op:gc-exports[1+][2+]>`],
      [`<12'op:gc-export1+2+>`, `<13'op:gc-exports[1+][2+]>`],
      [`<12'op:gc-answer[3+]>`, `<13'op:gc-answers[3+]>`],
      [`<12'op:gc-answer3+>`, `<13'op:gc-answers[3+]>`],
    ];
    for (const [old, current] of pairs) expect(decodeOp(asciiBytes(old))).toStrictEqual(decodeOp(asciiBytes(current)));
  });
});

describe('record shapes survive the bytes', () => {
  it('a goblins-era locator re-encodes to the same bytes after decoding', () => {
    const input = `<10'ocapn-node3'tcp1"d[[4"host1"h][4"port1"1]]>`;
    const loc = locatorFromSyrup(decode(asciiBytes(input)));
    expect(text(encode(locatorToSyrup(loc)))).toBe(input);
    const withF = `<13'ocapn-machine3'tcp1"df>`;
    expect(text(encode(locatorToSyrup(locatorFromSyrup(decode(asciiBytes(withF))))))).toBe(withF);
  });

  it('a start-session with old-form location yields signable bytes identical to the sender’s', () => {
    const oldLoc = record('ocapn-node', sym('tcp'), 'd', false);
    const loc = locatorFromSyrup(oldLoc);
    expect(text(myLocationBytes(loc))).toBe(`<11'my-location<10'ocapn-node3'tcp1"df>>`);
  });
});
