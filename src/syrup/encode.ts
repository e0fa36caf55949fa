import { CapmeshError } from '../util/errors.js';
import { DEFAULT_SYRUP_LIMITS, Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged } from './types.js';
import type { SyrupStruct, SyrupValue } from './types.js';

/**
 * The canonical Syrup encoder (notes §1).
 *
 * Canonical form:
 * - dictionary entries are sorted by their *encoded key bytes* (unsigned,
 *   byte by byte, a strict prefix first); set items likewise by their encoded
 *   bytes. Two keys (items) with the same encoding are a duplicate and refused;
 * - NaN is always written `D 7ff8000000000000`; −0 is kept as `D 8000…` unless
 *   `foldNegativeZero` (Endo's dialect) asks for +0;
 * - a `number` that is an integer (and not −0) is written as a Syrup integer,
 *   every other `number` as a float64; a `Float64` is always a float;
 * - strings and symbols must be well-formed UTF-16 (no lone surrogates).
 *
 * Failure: anything that cannot be written (lone surrogates, functions, Dates,
 * Maps, class instances other than the Syrup model's, JS symbols, duplicate
 * keys, nesting beyond `maxDepth` — which is also how a cycle ends) throws
 * `CapmeshError('SYRUP_UNENCODABLE')` whose message names the path to the bad
 * part (`detail.path`). Nothing is returned on failure.
 *
 * Speed: one growable byte buffer per encoder; ASCII strings are copied char by
 * char (no TextEncoder); entries are written in the order given and only
 * rearranged in place when they were not already canonical.
 *
 * Plain objects (prototype `Object.prototype` or `null`) encode as string-keyed
 * dictionaries from their own enumerable string keys (`Object.keys`), so an own
 * `"__proto__"` property is an ordinary key. Symbol-keyed properties are ignored.
 */

export interface EncodeOptions {
  /** Write −0 as +0 (Endo rejects the −0 bytes). Default false: −0 is kept. */
  foldNegativeZero?: boolean;
  /** Containers (lists, dicts, records incl. `undefined`/`null`/Tagged, sets) that may nest. Default 64, like the decoder. */
  maxDepth?: number;
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const HASH = 0x23;
const DOLLAR = 0x24;
const QUOTE = 0x22; // string
const APOS = 0x27; // symbol
const COLON = 0x3a; // byte string
const PLUS = 0x2b;
const MINUS = 0x2d;
const D = 0x44;

const INITIAL_CAPACITY = 1024;
/** A shared encoder's buffer above this size is dropped after use, not kept. */
const KEEP_CAPACITY = 1 << 20;
/** Above this many chars a non-ASCII string goes through TextEncoder. */
const MANUAL_UTF8_MAX = 1024;

const textEncoder = new TextEncoder();
const VOID_BYTES = new Uint8Array([LT, 0x34, APOS, 0x76, 0x6f, 0x69, 0x64, GT]); // <4'void>
const NULL_BYTES = new Uint8Array([LT, 0x34, APOS, 0x6e, 0x75, 0x6c, 0x6c, GT]); // <4'null>
const TAGGED_PREFIX = asciiPrefix("<11'desc:tagged");

function asciiPrefix(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Thrown inside the encoder and turned into a CapmeshError at the entry point, with its path. */
class EncodeFailure {
  readonly reason: string;
  readonly path: string[] = [];
  constructor(reason: string) {
    this.reason = reason;
  }
}

function withPath(e: unknown, segment: string): unknown {
  if (e instanceof EncodeFailure) e.path.push(segment);
  return e;
}

function keySegment(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeJs(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a JS symbol';
  if (typeof value !== 'object' || value === null) return typeof value;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = proto === null ? undefined : (proto as { constructor?: { name?: unknown } }).constructor;
    return typeof ctor?.name === 'string' && ctor.name !== '' ? `an instance of ${ctor.name}` : 'an exotic object';
  } catch {
    return 'an exotic object';
  }
}

/**
 * A reusable canonical encoder writing into one growable buffer. `write` may be
 * called several times to put values back to back (e.g. for an unframed
 * stream); `finish` returns a copy of everything written and empties the
 * encoder. A failed `write` leaves the bytes written before it untouched.
 */
export class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private fold: boolean;
  private maxDepth: number;

  constructor(options?: EncodeOptions) {
    this.buf = new Uint8Array(INITIAL_CAPACITY);
    this.view = new DataView(this.buf.buffer);
    this.fold = options?.foldNegativeZero === true;
    this.maxDepth = options?.maxDepth ?? DEFAULT_SYRUP_LIMITS.maxDepth;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Changes the options for later writes. */
  configure(options?: EncodeOptions): void {
    this.fold = options?.foldNegativeZero === true;
    this.maxDepth = options?.maxDepth ?? DEFAULT_SYRUP_LIMITS.maxDepth;
  }

  /** Appends the canonical encoding of `value`. Throws `SYRUP_UNENCODABLE` (and writes nothing) on failure. */
  write(value: SyrupValue): this {
    const start = this.pos;
    try {
      this.value(value, 0);
    } catch (e) {
      this.pos = start;
      if (e instanceof EncodeFailure) {
        const segments = e.path.reverse();
        const path = '$' + segments.join('');
        const shown = segments.length <= 16 ? path : `$${segments.slice(0, 8).join('')}…${segments.slice(-4).join('')}`;
        throw new CapmeshError('SYRUP_UNENCODABLE', `cannot encode ${shown}: ${e.reason}`, { detail: { path } });
      }
      if (e instanceof RangeError) {
        throw new CapmeshError('SYRUP_UNENCODABLE', `cannot encode: ${e.message}`, { cause: e });
      }
      throw e;
    }
    return this;
  }

  /**
   * Appends bytes as they are. The caller vouches that they are complete
   * canonical Syrup (e.g. a cached encoding); nothing is checked.
   */
  writeRaw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A copy of the bytes written; the encoder is emptied for reuse. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.reset();
    return out;
  }

  /** Forgets what was written (and drops an oversized buffer). */
  reset(): void {
    this.pos = 0;
    if (this.buf.length > KEEP_CAPACITY) {
      this.buf = new Uint8Array(INITIAL_CAPACITY);
      this.view = new DataView(this.buf.buffer);
    }
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private enter(depth: number): number {
    if (depth >= this.maxDepth) {
      throw new EncodeFailure(`nesting deeper than ${this.maxDepth} (a cycle?)`);
    }
    return depth + 1;
  }

  private value(v: SyrupValue, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.text(v, QUOTE);
        return;
      case 'number':
        this.number(v);
        return;
      case 'bigint':
        this.bigint(v);
        return;
      case 'boolean':
        this.byte(v ? 0x74 : 0x66);
        return;
      case 'undefined':
        this.enter(depth);
        this.bytes(VOID_BYTES);
        return;
      case 'object':
        if (v === null) {
          this.enter(depth);
          this.bytes(NULL_BYTES);
        } else if (Array.isArray(v)) {
          this.list(v as readonly SyrupValue[], this.enter(depth));
        } else if (v instanceof Sym) {
          if (typeof v.name !== 'string') throw new EncodeFailure('Sym name must be a string');
          this.text(v.name, APOS);
        } else if (v instanceof SyrupRecord) {
          this.record(v, this.enter(depth));
        } else if (v instanceof Uint8Array) {
          this.uint(v.length);
          this.byte(COLON);
          this.bytes(v);
        } else if (v instanceof Float64) {
          if (typeof v.value !== 'number') throw new EncodeFailure('Float64 value must be a number');
          this.float(v.value);
        } else if (v instanceof Tagged) {
          this.tagged(v, this.enter(depth));
        } else if (v instanceof SyrupDict) {
          this.dict(v, this.enter(depth));
        } else if (v instanceof SyrupSet) {
          this.set(v, this.enter(depth));
        } else {
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            throw new EncodeFailure(`${describeJs(v)} is not a Syrup value`);
          }
          this.struct(v as SyrupStruct, this.enter(depth));
        }
        return;
      default:
        throw new EncodeFailure(`${describeJs(v)} is not a Syrup value`);
    }
  }

  /** Writes a non-negative safe integer in decimal. */
  private uint(n: number): void {
    if (n < 10) {
      this.byte(48 + n);
      return;
    }
    let digits = 2;
    for (let p = 100; p <= n && digits < 16; p *= 10) digits++;
    this.ensure(digits);
    let i = this.pos + digits;
    this.pos = i;
    const buf = this.buf;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--i] = 48 + (n - q * 10);
      n = q;
    }
    buf[--i] = 48 + n;
  }

  private ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  private number(v: number): void {
    if (Number.isInteger(v) && !(v === 0 && 1 / v < 0)) {
      if (Number.isSafeInteger(v)) {
        if (v >= 0) {
          this.uint(v);
          this.byte(PLUS);
        } else {
          this.uint(-v);
          this.byte(MINUS);
        }
      } else {
        this.bigint(BigInt(v));
      }
      return;
    }
    this.float(v);
  }

  private bigint(v: bigint): void {
    const n = Number(v);
    if (Number.isSafeInteger(n)) {
      // Exact: a bigint whose Number is a safe integer has that value.
      if (n >= 0) {
        this.uint(n);
        this.byte(PLUS);
      } else {
        this.uint(-n);
        this.byte(MINUS);
      }
      return;
    }
    const negative = v < 0n;
    this.ascii((negative ? -v : v).toString());
    this.byte(negative ? MINUS : PLUS);
  }

  private float(v: number): void {
    this.ensure(9);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = D;
    if (v !== v) {
      buf[p + 1] = 0x7f;
      buf[p + 2] = 0xf8;
      buf[p + 3] = buf[p + 4] = buf[p + 5] = buf[p + 6] = buf[p + 7] = buf[p + 8] = 0;
    } else {
      this.view.setFloat64(p + 1, this.fold && v === 0 ? 0 : v, false);
    }
    this.pos = p + 9;
  }

  /** A string (`tag` = `"`) or symbol (`tag` = `'`): byte length, tag, UTF-8. */
  private text(s: string, tag: number): void {
    const n = s.length;
    const start = this.pos;
    // Optimistic ASCII: the byte length is the char count.
    this.uint(n);
    this.ensure(n + 1);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = tag;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i === n) {
      this.pos = p;
      return;
    }
    this.pos = start;
    if (n > MANUAL_UTF8_MAX) {
      if (!s.isWellFormed()) throw new EncodeFailure('string has a lone surrogate');
      const bytes = textEncoder.encode(s);
      this.uint(bytes.length);
      this.byte(tag);
      this.bytes(bytes);
      return;
    }
    this.utf8(s, tag, i);
  }

  /** Manual UTF-8 for short non-ASCII text; `from` is the first non-ASCII index. */
  private utf8(s: string, tag: number, from: number): void {
    const n = s.length;
    let len = from;
    for (let i = from; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) len += 1;
      else if (c < 0x800) len += 2;
      else if ((c & 0xfc00) === 0xd800) {
        if ((s.charCodeAt(i + 1) & 0xfc00) !== 0xdc00) throw new EncodeFailure('string has a lone surrogate');
        len += 4;
        i++;
      } else if ((c & 0xfc00) === 0xdc00) {
        throw new EncodeFailure('string has a lone surrogate');
      } else len += 3;
    }
    this.uint(len);
    this.ensure(len + 1);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = tag;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) buf[p++] = c;
      else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xfc00) === 0xd800) {
        c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
        buf[p++] = 0xf0 | (c >> 18);
        buf[p++] = 0x80 | ((c >> 12) & 0x3f);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  private list(items: readonly SyrupValue[], depth: number): void {
    this.byte(LBRACKET);
    const n = items.length;
    for (let i = 0; i < n; i++) {
      try {
        this.value(items[i], depth);
      } catch (e) {
        throw withPath(e, `[${i}]`);
      }
    }
    this.byte(RBRACKET);
  }

  private record(r: SyrupRecord, depth: number): void {
    this.byte(LT);
    try {
      this.value(r.label, depth);
    } catch (e) {
      throw withPath(e, '<label>');
    }
    const fields = r.fields;
    const n = fields.length;
    for (let i = 0; i < n; i++) {
      try {
        this.value(fields[i], depth);
      } catch (e) {
        throw withPath(e, `<${i}>`);
      }
    }
    this.byte(GT);
  }

  private tagged(t: Tagged, depth: number): void {
    if (typeof t.tag !== 'string') throw new EncodeFailure('Tagged tag must be a string');
    this.bytes(TAGGED_PREFIX);
    try {
      this.text(t.tag, APOS);
      this.value(t.value, depth);
    } catch (e) {
      throw withPath(e, '.tagged');
    }
    this.byte(GT);
  }

  private struct(obj: SyrupStruct, depth: number): void {
    this.byte(LBRACE);
    const keys = Object.keys(obj);
    const n = keys.length;
    const region = this.pos;
    // spans: keyStart, valueStart, entryEnd for each entry, in writing order.
    const spans: number[] = new Array<number>(n * 3);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const ks = this.pos;
      try {
        this.text(key, QUOTE);
      } catch (e) {
        throw withPath(e, '{key}');
      }
      const vs = this.pos;
      try {
        this.value(obj[key], depth);
      } catch (e) {
        throw withPath(e, keySegment(key));
      }
      sorted = this.entrySpan(spans, i, ks, vs, sorted);
    }
    if (!sorted) this.reorder(region, spans, 3, 'dictionary key');
    this.byte(RBRACE);
  }

  /** Records entry `i`'s span (key start, value start, end) and says whether the entries are still in canonical order. */
  private entrySpan(spans: number[], i: number, ks: number, vs: number, sorted: boolean): boolean {
    spans[i * 3] = ks;
    spans[i * 3 + 1] = vs;
    spans[i * 3 + 2] = this.pos;
    return sorted && (i === 0 || this.compare(spans[i * 3 - 3]!, spans[i * 3 - 2]!, ks, vs) < 0);
  }

  private dict(d: SyrupDict, depth: number): void {
    this.byte(LBRACE);
    const entries = d.entries;
    const n = entries.length;
    const region = this.pos;
    const spans: number[] = new Array<number>(n * 3);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const entry = entries[i]!;
      const ks = this.pos;
      try {
        this.value(entry[0], depth);
      } catch (e) {
        throw withPath(e, `{key ${i}}`);
      }
      const vs = this.pos;
      try {
        this.value(entry[1], depth);
      } catch (e) {
        throw withPath(e, `{value ${i}}`);
      }
      sorted = this.entrySpan(spans, i, ks, vs, sorted);
    }
    if (!sorted) this.reorder(region, spans, 3, 'dictionary key');
    this.byte(RBRACE);
  }

  private set(s: SyrupSet, depth: number): void {
    this.byte(HASH);
    const items = s.items;
    const n = items.length;
    const region = this.pos;
    const spans: number[] = new Array<number>(n * 2);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const start = this.pos;
      try {
        this.value(items[i], depth);
      } catch (e) {
        throw withPath(e, `#${i}`);
      }
      spans[i * 2] = start;
      spans[i * 2 + 1] = this.pos;
      if (sorted && i > 0 && this.compare(spans[i * 2 - 2]!, start, start, this.pos) >= 0) sorted = false;
    }
    if (!sorted) this.reorder(region, spans, 2, 'set item');
    this.byte(DOLLAR);
  }

  /** Unsigned lexicographic comparison of buf[a0..a1) and buf[b0..b1); a strict prefix first. */
  private compare(a0: number, a1: number, b0: number, b1: number): number {
    const buf = this.buf;
    const la = a1 - a0;
    const lb = b1 - b0;
    const n = la < lb ? la : lb;
    for (let i = 0; i < n; i++) {
      const d = buf[a0 + i]! - buf[b0 + i]!;
      if (d !== 0) return d;
    }
    return la - lb;
  }

  /**
   * Rearranges the entries written since `region` into canonical order.
   * `spans` holds `stride` offsets per entry; the sort key is [s0, s1) and
   * the entry is [s0, s(stride-1)). Equal keys are a duplicate.
   */
  private reorder(region: number, spans: number[], stride: number, what: string): void {
    const n = spans.length / stride;
    const order: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i * stride;
    order.sort((a, b) => this.compare(spans[a]!, spans[a + 1]!, spans[b]!, spans[b + 1]!));
    for (let i = 1; i < n; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      if (this.compare(spans[a]!, spans[a + 1]!, spans[b]!, spans[b + 1]!) === 0) {
        throw new EncodeFailure(`duplicate ${what} (entries ${a / stride} and ${b / stride} encode the same)`);
      }
    }
    const copy = this.buf.slice(region, this.pos);
    let p = region;
    for (let i = 0; i < n; i++) {
      const s = order[i]!;
      const from = spans[s]! - region;
      const to = spans[s + stride - 1]! - region;
      this.buf.set(copy.subarray(from, to), p);
      p += to - from;
    }
  }
}

let shared: Encoder | undefined;
let sharedBusy = false;

/**
 * The canonical Syrup bytes of `value` (a fresh array the caller owns).
 * Throws `CapmeshError('SYRUP_UNENCODABLE')` naming the path of the part that
 * cannot be written.
 */
export function encode(value: SyrupValue, options?: EncodeOptions): Uint8Array {
  if (sharedBusy) {
    // Re-entered (a getter encoding while we encode): use a private encoder.
    return new Encoder(options).write(value).finish();
  }
  const enc = (shared ??= new Encoder());
  sharedBusy = true;
  try {
    enc.configure(options);
    enc.write(value);
    return enc.finish();
  } finally {
    enc.reset();
    sharedBusy = false;
  }
}
