import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameReader, SyrupStreamReader, decode, encode, frame, syrupEquals } from '../../src/syrup/index.js';
import type { SyrupValue } from '../../src/syrup/types.js';
import { concatBytes, equalBytes } from '../../src/util/bytes.js';
import { CapmeshError } from '../../src/util/errors.js';
import { SEED, runs, sameRepresentation, syrupValue } from './arbitraries.js';

/**
 * Seeded properties of the codec. The normal run does a little over 100k
 * cases in a few seconds; `npm run fuzz` (CAPMESH_FUZZ_RUNS=2000000) scales
 * every property by the same factor.
 */

const FUZZ_SCALE = runs(100_000) / 100_000;
/** Per-test timeout that grows with the requested runs. */
const TIMEOUT = Math.max(30_000, Math.round(60_000 * FUZZ_SCALE));

/** Splits `bytes` at the given (unsorted, possibly repeated) cut points. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Runs `f`; any thrown value that is not a CapmeshError fails the property. */
function onlyCapmeshErrors<T>(f: () => T): T | CapmeshError {
  try {
    return f();
  } catch (e) {
    if (e instanceof CapmeshError) return e;
    throw new Error(`foreign exception: ${String(e)}`, { cause: e });
  }
}

const SYNTAX = [...'0123456789+-:"\'[]{}<>#$tfDF '].map((c) => c.charCodeAt(0));
const syntaxBytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.oneof(fc.constantFrom(...SYNTAX), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }).map((a) => Uint8Array.from(a)),
);

/** A pool of valid encodings to mutate, sampled once with the fixed seed. */
const POOL: Uint8Array[] = fc.sample(syrupValue(4), { seed: SEED, numRuns: 300 }).map((v) => encode(v));

type Mutation = { kind: 'set' | 'insert' | 'delete' | 'truncate' | 'dup'; at: number; byte: number; len: number };
const mutation = fc.record({
  kind: fc.constantFrom('set', 'insert', 'delete', 'truncate', 'dup') as fc.Arbitrary<Mutation['kind']>,
  at: fc.nat(),
  byte: fc.oneof(fc.constantFrom(...SYNTAX), fc.integer({ min: 0, max: 255 })),
  len: fc.integer({ min: 1, max: 8 }),
});

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = bytes;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'set':
        b = Uint8Array.from(b);
        if (b.length > 0) b[at] = m.byte;
        break;
      case 'insert':
        b = concatBytes(b.subarray(0, at), Uint8Array.of(m.byte), b.subarray(at));
        break;
      case 'delete':
        b = concatBytes(b.subarray(0, at), b.subarray(at + m.len));
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'dup':
        b = concatBytes(b.subarray(0, at + m.len), b.subarray(at));
        break;
    }
  }
  return b;
}

/** Decoding never throws anything but CapmeshError, and whatever it accepts is canonical. */
function checkDecode(bytes: Uint8Array): void {
  const got = onlyCapmeshErrors(() => decode(bytes));
  if (!(got instanceof CapmeshError)) expect(equalBytes(encode(got), bytes)).toBe(true);
}

/** The stream reader never throws anything but CapmeshError, and what it yields re-encodes to a prefix of the input. */
function checkStream(bytes: Uint8Array, cuts: number[]): void {
  const r = new SyrupStreamReader();
  const values: SyrupValue[] = [];
  for (const c of chunked(bytes, cuts)) {
    const got = onlyCapmeshErrors(() => r.push(c));
    if (got instanceof CapmeshError) return;
    values.push(...got);
  }
  const prefix = concatBytes(...values.map((v) => encode(v)));
  expect(equalBytes(prefix, bytes.subarray(0, prefix.length))).toBe(true);
}

describe('syrup properties (seeded)', () => {
  it(
    '(a) decode(encode(v)) deep-equals v, and re-encoding is stable',
    () => {
      fc.assert(
        fc.property(syrupValue(5), (v) => {
          const bytes = encode(v);
          const back = decode(bytes);
          expect(sameRepresentation(back, v)).toBe(true);
          expect(syrupEquals(back, v)).toBe(true);
          expect(equalBytes(encode(back), bytes)).toBe(true);
        }),
        { seed: SEED, numRuns: runs(3_000) },
      );
    },
    TIMEOUT,
  );

  it(
    '(b) the stream reader yields the same values for any chunking',
    () => {
      fc.assert(
        fc.property(fc.array(syrupValue(3), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (values, cuts) => {
          const bytes = concatBytes(...values.map((v) => encode(v)));
          const r = new SyrupStreamReader();
          const got = chunked(bytes, cuts).flatMap((c) => r.push(c));
          expect(sameRepresentation(got, values)).toBe(true);
          expect(r.buffered).toBe(0);
        }),
        { seed: SEED, numRuns: runs(1_500) },
      );
    },
    TIMEOUT,
  );

  it(
    '(b) the frame reader yields the same payloads for any chunking',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 8 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (payloads, cuts) => {
            const bytes = concatBytes(...payloads.map(frame));
            const r = new FrameReader();
            expect(chunked(bytes, cuts).flatMap((c) => r.push(c))).toEqual(payloads);
          },
        ),
        { seed: SEED, numRuns: runs(1_500) },
      );
    },
    TIMEOUT,
  );

  it(
    '(c) random bytes only ever throw CapmeshError, and anything accepted is canonical',
    () => {
      fc.assert(fc.property(syntaxBytes, checkDecode), { seed: SEED, numRuns: runs(40_000) });
    },
    TIMEOUT,
  );

  it(
    '(c) mutated valid encodings only ever throw CapmeshError, and anything accepted is canonical',
    () => {
      fc.assert(
        fc.property(fc.nat(POOL.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
          checkDecode(mutate(POOL[i]!, ms));
        }),
        { seed: SEED, numRuns: runs(40_000) },
      );
    },
    TIMEOUT,
  );

  it(
    '(c) the stream and frame readers only ever throw CapmeshError on random or mutated input',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            syntaxBytes,
            fc
              .tuple(fc.nat(POOL.length - 1), fc.nat(POOL.length - 1), fc.array(mutation, { maxLength: 2 }))
              .map(([i, j, ms]) => mutate(concatBytes(POOL[i]!, POOL[j]!), ms)),
          ),
          fc.array(fc.nat(), { maxLength: 6 }),
          (bytes, cuts) => {
            checkStream(bytes, cuts);
            const r = new FrameReader({ maxFrameBytes: 64 });
            for (const c of chunked(bytes, cuts)) if (onlyCapmeshErrors(() => r.push(c)) instanceof CapmeshError) break;
          },
        ),
        { seed: SEED, numRuns: runs(20_000) },
      );
    },
    TIMEOUT,
  );
});
