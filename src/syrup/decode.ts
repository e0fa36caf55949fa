import { CapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import { resolveLimits } from './limits.js';
import { plainBytes } from './plain.js';
import { Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged } from './types.js';
import type { SyrupLimits, SyrupStruct, SyrupValue } from './types.js';

/**
 * The strict Syrup decoder. It accepts exactly the canonical encodings the
 * encoder writes, so `encode(decode(bytes))` is `bytes` (the value model's rule).
 *
 * Errors (always `CapmeshError`, never another exception type):
 * - `SYRUP_MALFORMED`: not Syrup at all — an unknown byte, a closer that does
 *   not match its opener, a record without a label, a dictionary key without a
 *   value, digits not followed by `+ - : " '`, invalid UTF-8 (overlong forms,
 *   surrogates, truncated sequences) in a string or symbol, trailing bytes
 *   after the value (`decode` only);
 * - `SYRUP_NONCANONICAL`: Syrup that a lenient reader would accept but that is
 *   not the one canonical form — leading zeros (`00+`, `01:`), `0-`, a NaN other
 *   than `7ff8000000000000`, float32 `F`, whitespace, dictionary keys or set
 *   items that are unsorted or duplicated;
 * - `SYRUP_TRUNCATED`: the input ends inside the value (or is empty);
 * - `SYRUP_LIMIT`: a `SyrupLimits` bound is exceeded. Checked before the work
 *   it bounds: a declared string length above `maxStringBytes` is refused
 *   before anything is sliced, a container is refused on opening when it would
 *   exceed `maxDepth`, and a value is refused before it is made when it would
 *   be the `maxNodes + 1`th of the input (a closer is not a new value).
 *
 * The parser is iterative (an explicit stack of open containers), so deep input
 * can never overflow the JS stack whatever `maxDepth` says.
 *
 * Ownership: byte strings are decoded as **copies** (`slice`), never views of
 * the input, so the caller may reuse its buffer afterwards.
 *
 * Representation (see types.ts): integers → `bigint`; floats → `Float64` when
 * integral (incl. ±0), else `number`; a dictionary whose keys are all strings →
 * a plain object (an `Object.prototype` object; a `"__proto__"` key is made an
 * own data property with `defineProperty`), otherwise `SyrupDict`; `<void>` →
 * `undefined`, `<null>` → `null`, `<desc:tagged 'tag value>` → `Tagged`.
 */

const KIND_LIST = 0;
const KIND_DICT = 1;
const KIND_RECORD = 2;
const KIND_SET = 3;

/**
 * One open container on the parse stack. Frames are reused across decodes
 * (one per depth, see `FRAMES`): `open` resets every field, and `items` is a
 * fresh array each time, since it becomes the decoded list or fields.
 */
class Frame {
  kind = 0;
  /** Offset of the opening byte. */
  start = 0;
  /** List/set items; record fields; dictionary keys and values interleaved. */
  items: SyrupValue[] = [];
  /** A record's label, once `labelled`. */
  label: SyrupValue = undefined;
  labelled = false;
  /** Span of the previous dictionary key or set item, for the ordering check. */
  prevStart = -1;
  prevEnd = -1;
  allStringKeys = true;

  open(kind: number, start: number): this {
    this.kind = kind;
    this.start = start;
    this.items = [];
    this.label = undefined;
    this.labelled = false;
    this.prevStart = -1;
    this.prevEnd = -1;
    this.allStringKeys = true;
    return this;
  }

  /** Lets go of what the last decode left here (its values belong to the caller now). */
  clear(): void {
    this.items = EMPTY_ITEMS;
    this.label = undefined;
  }
}

const EMPTY_ITEMS: SyrupValue[] = [];

/**
 * The parse stack's frames, by depth, kept between decodes: a message's
 * containers then cost their values only. `decodePrefix` runs to its end
 * without calling out (no re-entry), and opens every frame it uses before
 * reading it, so what an earlier (or failed) decode left cannot leak in.
 * Grows to the deepest nesting seen (at most `maxDepth` frames).
 */
const FRAMES: Frame[] = [];

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const floatView = new DataView(new ArrayBuffer(8));
const floatBytes = new Uint8Array(floatView.buffer);

const SMALL_INTS: bigint[] = [];
for (let i = 0; i < 1024; i++) SMALL_INTS.push(BigInt(i));

/** Strings up to this many bytes are tried as ASCII by hand before TextDecoder. */
const ASCII_FAST_MAX = 64;

function fail(code: CapmeshErrorCode, message: string, offset: number): never {
  throw new CapmeshError(code, `${message} at byte ${offset}`, { detail: { offset } });
}

/** Symbol names up to this many bytes are looked up in `SYMBOL_NAMES` first. */
const SYMBOL_NAME_MAX = 32;
/** Slots of the symbol-name cache (a power of two). */
const SYMBOL_SLOTS = 256;
/**
 * Recently decoded ASCII symbol names by a hash of their bytes: labels and
 * method names (`op:deliver`, `desc:export`, `fulfill`…) repeat in every
 * message, so most symbols cost a hash and a compare instead of a new string.
 * A slot holds the last name that hashed to it; a colliding name replaces it.
 * Only symbols are cached (never strings, which carry application data).
 */
const SYMBOL_NAMES: (string | undefined)[] = new Array<string | undefined>(SYMBOL_SLOTS).fill(undefined);

/** ASCII text of bytes[s..e) (all < 0x80, checked by the caller) as one string. */
function asciiText(bytes: Uint8Array, s: number, e: number): string {
  return e - s === 1 ? String.fromCharCode(bytes[s]!) : String.fromCharCode.apply(null, bytes.subarray(s, e) as unknown as number[]);
}

/** A symbol's name: `decodeText`, through the `SYMBOL_NAMES` cache when short and ASCII. */
function decodeSymbolName(bytes: Uint8Array, s: number, e: number): string {
  if (e - s > SYMBOL_NAME_MAX) return decodeText(bytes, s, e);
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return decodeText(bytes, s, e);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 16)) & (SYMBOL_SLOTS - 1);
  const cached = SYMBOL_NAMES[slot];
  if (cached !== undefined && cached.length === e - s) {
    let i = 0;
    while (i < cached.length && cached.charCodeAt(i) === bytes[s + i]) i++;
    if (i === cached.length) return cached;
  }
  const name = asciiText(bytes, s, e);
  SYMBOL_NAMES[slot] = name;
  return name;
}

/** UTF-8 text of bytes[s..e); `SYRUP_MALFORMED` when it is not valid UTF-8. */
function decodeText(bytes: Uint8Array, s: number, e: number): string {
  if (e - s <= ASCII_FAST_MAX) {
    let i = s;
    while (i < e && bytes[i]! < 0x80) i++;
    if (i === e) return s === e ? '' : asciiText(bytes, s, e);
  }
  try {
    return textDecoder.decode(bytes.subarray(s, e));
  } catch {
    return fail('SYRUP_MALFORMED', 'invalid UTF-8 in string or symbol', s);
  }
}

/** The value needs the bytes before offset `at`, which are not there: past `cap` that is the maxBytes limit, else truncation. */
function needMore(at: number, cap: number): never {
  if (at > cap) fail('SYRUP_LIMIT', 'value longer than maxBytes', at);
  return fail('SYRUP_TRUNCATED', 'input ends inside a value', at);
}

function compareSpans(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const la = a1 - a0;
  const lb = b1 - b0;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = bytes[a0 + i]! - bytes[b0 + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

function makeStruct(items: SyrupValue[]): SyrupStruct {
  const obj: SyrupStruct = {};
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i] as string;
    if (key === '__proto__') {
      Object.defineProperty(obj, key, { value: items[i + 1], enumerable: true, writable: true, configurable: true });
    } else {
      obj[key] = items[i + 1];
    }
  }
  return obj;
}

function makeRecord(label: SyrupValue, fields: SyrupValue[]): SyrupValue {
  if (label instanceof Sym) {
    const n = fields.length;
    const name = label.name;
    if (n === 0) {
      if (name === 'void') return undefined;
      if (name === 'null') return null;
    } else if (n === 2 && name === 'desc:tagged' && fields[0] instanceof Sym) {
      return new Tagged(fields[0].name, fields[1]);
    }
  }
  return new SyrupRecord(label, fields);
}

export interface DecodeResult {
  value: SyrupValue;
  /** Offset just past the value. */
  end: number;
}

/**
 * Decodes the one value that starts at `offset` and returns it with the offset
 * just past it; bytes after it are not looked at. `maxBytes` bounds the
 * value's own length.
 */
export function decodePrefix(bytes: Uint8Array, offset = 0, limits?: SyrupLimits): DecodeResult {
  if (!(bytes instanceof Uint8Array)) {
    throw new CapmeshError('INVALID_ARGUMENT', '`bytes` must be a Uint8Array');
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`offset\` must be an integer in 0..${bytes.length}`);
  }
  bytes = plainBytes(bytes);
  const L = resolveLimits(limits);
  const maxItems = L.maxItems;
  const maxDepth = L.maxDepth;
  const maxIntDigits = L.maxIntegerDigits;
  const maxStringBytes = L.maxStringBytes;
  /** Values left before `maxNodes` trips; one is taken as each value starts, before it is allocated. */
  let nodesLeft = L.maxNodes;
  const maxScanDigits = maxIntDigits > 16 ? maxIntDigits : 16;
  const inputEnd = bytes.length;
  /** One past the last byte the value may use. */
  const cap = offset + L.maxBytes;
  const stop = inputEnd < cap ? inputEnd : cap;

  /** Open containers: FRAMES[0..depth). */
  let depth = 0;
  let top: Frame | undefined;
  let pos = offset;

  try {
    for (;;) {
      if (pos >= stop) needMore(pos + 1, cap);
      let start = pos;
      const b = bytes[pos]!;
      let value: SyrupValue;
      // Every byte that is not a closer starts a value (or is malformed): count it before any allocation.
      if (b !== 0x5d && b !== 0x7d && b !== 0x3e && b !== 0x24 && --nodesLeft < 0) {
        fail('SYRUP_LIMIT', `more than maxNodes (${L.maxNodes}) values in one message`, pos);
      }

      if (b >= 0x30 && b <= 0x39) {
        // Digits: an integer (`+`/`-`) or a length (`:` `"` `'`).
        let p = pos + 1;
        let n = b - 0x30;
        if (b === 0x30) {
          if (p < stop && bytes[p]! >= 0x30 && bytes[p]! <= 0x39) {
            fail('SYRUP_NONCANONICAL', 'leading zero in an integer or length', pos);
          }
        } else {
          while (p < stop) {
            const d = bytes[p]!;
            if (d < 0x30 || d > 0x39) break;
            n = n * 10 + (d - 0x30);
            p++;
            if (p - pos > maxScanDigits) fail('SYRUP_LIMIT', `integer longer than ${maxIntDigits} digits`, pos);
          }
        }
        if (p >= stop) needMore(p + 1, cap);
        const digits = p - pos;
        const t = bytes[p]!;
        if (t === 0x2b || t === 0x2d) {
          if (digits > maxIntDigits) fail('SYRUP_LIMIT', `integer longer than ${maxIntDigits} digits`, pos);
          let big: bigint;
          if (digits <= 15) {
            big = n < 1024 ? SMALL_INTS[n]! : BigInt(n);
          } else {
            let text = '';
            for (let i = pos; i < p; i++) text += String.fromCharCode(bytes[i]!);
            big = BigInt(text);
          }
          if (t === 0x2d) {
            if (n === 0) fail('SYRUP_NONCANONICAL', '`0-` (negative zero integer)', pos);
            big = -big;
          }
          value = big;
          pos = p + 1;
        } else if (t === 0x3a || t === 0x22 || t === 0x27) {
          if (n > maxStringBytes) fail('SYRUP_LIMIT', `declared length ${n} exceeds maxStringBytes (${maxStringBytes})`, pos);
          const s = p + 1;
          const e = s + n;
          if (e > stop) needMore(e, cap);
          if (t === 0x3a) value = bytes.slice(s, e);
          else if (t === 0x22) value = decodeText(bytes, s, e);
          else value = new Sym(decodeSymbolName(bytes, s, e));
          pos = e;
        } else {
          fail('SYRUP_MALFORMED', 'digits must be followed by one of + - : " \'', p);
        }
      } else {
        switch (b) {
          case 0x74: // t
            value = true;
            pos++;
            break;
          case 0x66: // f
            value = false;
            pos++;
            break;
          case 0x44: {
            // D: float64
            if (pos + 9 > stop) needMore(pos + 9, cap);
            for (let i = 0; i < 8; i++) floatBytes[i] = bytes[pos + 1 + i]!;
            const v = floatView.getFloat64(0, false);
            if (v !== v) {
              if (bytes[pos + 1] !== 0x7f || bytes[pos + 2] !== 0xf8) {
                fail('SYRUP_NONCANONICAL', 'NaN other than 7ff8000000000000', pos);
              }
              for (let i = 3; i < 9; i++) {
                if (bytes[pos + i] !== 0) fail('SYRUP_NONCANONICAL', 'NaN other than 7ff8000000000000', pos);
              }
            }
            value = Number.isInteger(v) ? new Float64(v) : v;
            pos += 9;
            break;
          }
          case 0x5b: // [
          case 0x7b: // {
          case 0x3c: // <
          case 0x23: {
            // #
            if (depth >= maxDepth) fail('SYRUP_LIMIT', `nesting deeper than maxDepth (${maxDepth})`, pos);
            const kind = b === 0x5b ? KIND_LIST : b === 0x7b ? KIND_DICT : b === 0x3c ? KIND_RECORD : KIND_SET;
            top = (FRAMES[depth] ??= new Frame()).open(kind, pos);
            depth++;
            pos++;
            continue;
          }
          case 0x5d: // ]
          case 0x7d: // }
          case 0x3e: // >
          case 0x24: {
            // $
            const kind = b === 0x5d ? KIND_LIST : b === 0x7d ? KIND_DICT : b === 0x3e ? KIND_RECORD : KIND_SET;
            if (top === undefined || top.kind !== kind) fail('SYRUP_MALFORMED', `unexpected '${String.fromCharCode(b)}'`, pos);
            const items = top.items;
            if (kind === KIND_LIST) value = items;
            else if (kind === KIND_DICT) {
              if (items.length % 2 !== 0) fail('SYRUP_MALFORMED', 'dictionary key without a value', pos);
              if (top.allStringKeys) value = makeStruct(items);
              else {
                const entries: [SyrupValue, SyrupValue][] = [];
                for (let i = 0; i < items.length; i += 2) entries.push([items[i], items[i + 1]]);
                value = new SyrupDict(entries);
              }
            } else if (kind === KIND_RECORD) {
              if (!top.labelled) fail('SYRUP_MALFORMED', 'record without a label', pos);
              value = makeRecord(top.label, items);
            } else value = new SyrupSet(items);
            start = top.start;
            top.clear();
            depth--;
            top = depth > 0 ? FRAMES[depth - 1] : undefined;
            pos++;
            break;
          }
          case 0x46: // F
            fail('SYRUP_NONCANONICAL', 'float32 (F) is not used by OCapN', pos);
          case 0x20:
          case 0x09:
          case 0x0a:
          case 0x0d:
          case 0x0c:
            fail('SYRUP_NONCANONICAL', 'whitespace', pos);
          default:
            fail('SYRUP_MALFORMED', `unexpected byte 0x${b.toString(16).padStart(2, '0')}`, pos);
        }
      }

      // A complete value spans [start, pos): hand it to the enclosing container.
      if (top === undefined) return { value, end: pos };
      const items = top.items;
      switch (top.kind) {
        case KIND_LIST:
          if (items.length >= maxItems) fail('SYRUP_LIMIT', `more than maxItems (${maxItems}) list items`, start);
          items.push(value);
          break;
        case KIND_DICT:
          if ((items.length & 1) === 0) {
            if (items.length >= 2 * maxItems) fail('SYRUP_LIMIT', `more than maxItems (${maxItems}) entries`, start);
            if (top.prevStart >= 0) {
              const c = compareSpans(bytes, top.prevStart, top.prevEnd, start, pos);
              if (c >= 0) fail('SYRUP_NONCANONICAL', c === 0 ? 'duplicate dictionary key' : 'dictionary keys out of order', start);
            }
            top.prevStart = start;
            top.prevEnd = pos;
            if (typeof value !== 'string') top.allStringKeys = false;
          }
          items.push(value);
          break;
        case KIND_RECORD:
          if (!top.labelled) {
            top.label = value;
            top.labelled = true;
          } else {
            if (items.length >= maxItems) fail('SYRUP_LIMIT', `more than maxItems (${maxItems}) record fields`, start);
            items.push(value);
          }
          break;
        default:
          if (items.length >= maxItems) fail('SYRUP_LIMIT', `more than maxItems (${maxItems}) set items`, start);
          if (top.prevStart >= 0) {
            const c = compareSpans(bytes, top.prevStart, top.prevEnd, start, pos);
            if (c >= 0) fail('SYRUP_NONCANONICAL', c === 0 ? 'duplicate set item' : 'set items out of order', start);
          }
          top.prevStart = start;
          top.prevEnd = pos;
          items.push(value);
      }
    }
  } catch (e) {
    // Truncated (a stream waits for more) or refused: keep nothing of the partial value.
    for (let i = 0; i < depth; i++) FRAMES[i]!.clear();
    throw e;
  }
}

/**
 * Decodes `bytes`, which must hold exactly one canonical value. Throws
 * `SYRUP_LIMIT` at once when `bytes` is longer than `maxBytes`.
 */
export function decode(bytes: Uint8Array, limits?: SyrupLimits): SyrupValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new CapmeshError('INVALID_ARGUMENT', '`bytes` must be a Uint8Array');
  }
  const maxBytes = resolveLimits(limits).maxBytes;
  if (bytes.length > maxBytes) {
    throw new CapmeshError('SYRUP_LIMIT', `input of ${bytes.length} bytes exceeds maxBytes (${maxBytes})`, {
      detail: { offset: 0 },
    });
  }
  const { value, end } = decodePrefix(bytes, 0, limits);
  if (end !== bytes.length) fail('SYRUP_MALFORMED', 'trailing bytes after the value', end);
  return value;
}
