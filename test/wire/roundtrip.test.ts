import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, float64, record, sym, type SyrupValue } from '../../src/syrup/index.js';
import {
  DIALECTS,
  answerDesc,
  decodeOp,
  descriptorFromSyrup,
  descriptorToSyrup,
  encodeOp,
  exportDesc,
  importObject,
  importPromise,
  opFromRecord,
  opToRecords,
  type Descriptor,
  type Dialect,
  type Op,
  type PeerLocator,
} from '../../src/wire/index.js';

/**
 * Property: for every op and every dialect preset,
 * typed → records → bytes → records → typed gives back the records and the
 * typed value unchanged (Goblins' singular GC splits one op into several
 * records, whose entries concatenate back to the original).
 */

const SEED = 0x0ca9;

/** `fc.record` with ordinary prototypes (its default is null-prototype objects, which strict equality tells apart). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record<T>(model, { noNullPrototype: true });
const RUNS = 300;

const pos = fc.oneof(fc.nat(16), fc.maxSafeNat());
const bytes = (n?: number) => (n === undefined ? fc.uint8Array({ maxLength: 40 }) : fc.uint8Array({ minLength: n, maxLength: n }));
const target = fc.oneof(pos.map(exportDesc), pos.map(answerDesc));
const resolver = fc.oneof(pos.map(importObject), pos.map(importPromise));
const text = fc.string({ unit: 'binary', maxLength: 12 });
const key = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__');

/** Floats in the form the decoder yields: integral values (and ±0) wrapped in Float64, −0 avoided (Endo folds it). */
const float = fc.double().map((d) => {
  const v = Object.is(d, -0) ? 0 : d;
  return Number.isInteger(v) ? float64(v) : v;
});

const { value: syrupArg } = fc.letrec<{ value: SyrupValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.bigInt(),
    text,
    fc.boolean(),
    bytes(),
    text.map(sym),
    float,
    resolver.map(descriptorToSyrup),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.tuple(key, fc.array(tie('value'), { maxLength: 3 })).map(([label, fields]) => record(`x:${label}`, ...fields)),
    fc.dictionary(key, tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

const locator: fc.Arbitrary<PeerLocator> = rec({
  transport: fc.string({ minLength: 1, maxLength: 10 }),
  designator: text,
  hints: fc.dictionary(key, text, { maxKeys: 3, noNullPrototype: true }),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  rec({
    op: fc.constant('start-session' as const),
    captpVersion: text,
    sessionPubkey: bytes(32),
    location: locator,
    locationSig: bytes(64),
  }),
  rec({ op: fc.constant('abort' as const), reason: text }),
  rec({
    op: fc.constant('deliver' as const),
    to: target,
    args: fc.array(syrupArg, { maxLength: 5 }),
    answerPos: fc.option(pos, { nil: null }),
    resolveMe: fc.option(resolver, { nil: null }),
  }),
  rec({ op: fc.constant('listen' as const), to: target, listenDesc: resolver }),
  rec({ op: fc.constant('get' as const), to: target, field: text, answerPos: pos }),
  rec({ op: fc.constant('index' as const), to: target, index: fc.bigInt(), answerPos: pos }),
  rec({ op: fc.constant('untag' as const), to: target, tag: text, answerPos: pos }),
  rec({
    op: fc.constant('gc-exports' as const),
    entries: fc.array(rec({ position: pos, delta: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }), { minLength: 1, maxLength: 5 }),
  }),
  rec({ op: fc.constant('gc-answers' as const), positions: fc.array(pos, { minLength: 1, maxLength: 5 }) }),
  rec({ op: fc.constant('pick' as const), fields: fc.array(syrupArg, { maxLength: 3 }) }),
);

/** Folds Goblins' one-record-per-position GC back into one op. */
function merge(ops: Op[]): Op {
  if (ops.length === 1) return ops[0]!;
  if (ops.every((o) => o.op === 'gc-exports')) return { op: 'gc-exports', entries: ops.flatMap((o) => o.entries) };
  if (ops.every((o) => o.op === 'gc-answers')) return { op: 'gc-answers', positions: ops.flatMap((o) => o.positions) };
  throw new Error(`unexpected ${ops.length} ops`);
}

describe.each(Object.entries(DIALECTS))('round trip in dialect %s', (_name, dialect: Dialect) => {
  it('typed → records → bytes → records → typed', () => {
    fc.assert(
      fc.property(op, (o) => {
        const records = opToRecords(o, dialect);
        const encoded = records.map((r) => encode(r));
        const decodedRecords = encoded.map((b) => decode(b));
        expect(decodedRecords).toStrictEqual(records);
        expect(merge(decodedRecords.map((r) => opFromRecord(r)))).toStrictEqual(o);
        expect(encodeOp(o, dialect)).toStrictEqual(encoded);
        expect(merge(encoded.map((b) => decodeOp(b)))).toStrictEqual(o);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('descriptors round-trip through bytes', () => {
  const give = rec({
    type: fc.constant('handoff-give' as const),
    receiverKey: bytes(32),
    exporterLocation: locator,
    session: bytes(),
    gifterSide: bytes(),
    giftId: fc.oneof(bytes(32), fc.bigInt({ min: 0n }), text),
  });
  const envelope = (signed: fc.Arbitrary<SyrupValue>) =>
    rec({ type: fc.constant('sig-envelope' as const), signed, signature: bytes(64) });
  const descriptor: fc.Arbitrary<Descriptor> = fc.oneof(
    target,
    resolver,
    give,
    envelope(give.map(descriptorToSyrup)),
    rec({
      type: fc.constant('handoff-receive' as const),
      receivingSession: bytes(32),
      receivingSide: bytes(32),
      handoffCount: fc.bigInt({ min: 0n }),
      signedGive: envelope(give.map(descriptorToSyrup)),
    }),
  );

  it('typed → record → bytes → record → typed', () => {
    fc.assert(
      fc.property(descriptor, (d) => {
        const rec = descriptorToSyrup(d);
        const back = decode(encode(rec));
        expect(back).toStrictEqual(rec);
        expect(descriptorFromSyrup(back)).toStrictEqual(d);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
