import { CapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import type { SyrupLimits } from './types.js';

/**
 * Finds where one Syrup value ends in a byte stream that arrives in pieces,
 * looking at every byte once (so a large value arriving in many small chunks
 * costs linear time). It tracks only what determines the value's extent —
 * nesting depth, the digits of a length or integer, payload bytes still to
 * skip — and leaves everything else (matching closers, key order, UTF-8,
 * NaN form…) to the strict decoder that runs once the end is known.
 *
 * It enforces the limits that bound buffering, before the bytes arrive:
 * `maxBytes` for the value (also against a declared payload length),
 * `maxStringBytes`, `maxIntegerDigits` and `maxDepth`, all as `SYRUP_LIMIT`.
 * Bytes that cannot start or continue any value throw the same codes the
 * decoder would (`SYRUP_MALFORMED`, or `SYRUP_NONCANONICAL` for whitespace,
 * float32 and leading zeros).
 */
export class ValueScanner {
  private readonly limits: Readonly<Required<SyrupLimits>>;
  private depth = 0;
  /** Payload bytes still to pass over. */
  private skip = 0;
  /** Digits seen in the current integer/length; 0 outside one. */
  private digits = 0;
  private num = 0;
  /** Bytes of the current value seen so far. */
  private seen = 0;

  constructor(limits: Readonly<Required<SyrupLimits>>) {
    this.limits = limits;
  }

  /** Bytes of the current (incomplete) value scanned so far. */
  get scanned(): number {
    return this.seen;
  }

  /** Forgets the current value; call after each value that `scan` completed. */
  reset(): void {
    this.depth = 0;
    this.skip = 0;
    this.digits = 0;
    this.num = 0;
    this.seen = 0;
  }

  private fail(code: CapmeshErrorCode, message: string): never {
    throw new CapmeshError(code, `${message} at byte ${this.seen} of the value`, { detail: { offset: this.seen } });
  }

  /**
   * Scans `bytes[from..to)` as the continuation of the current value. Returns
   * the index just past the value's last byte when it ends in that range, or
   * -1 when every byte was consumed and the value is still incomplete.
   */
  scan(bytes: Uint8Array, from: number, to: number): number {
    const L = this.limits;
    let i = from;
    while (i < to) {
      if (this.skip > 0) {
        const avail = to - i;
        const take = this.skip < avail ? this.skip : avail;
        this.skip -= take;
        this.seen += take;
        i += take;
        if (this.skip === 0 && this.depth === 0) return i;
        continue;
      }
      const b = bytes[i]!;
      i++;
      if (++this.seen > L.maxBytes) this.fail('SYRUP_LIMIT', `value longer than maxBytes (${L.maxBytes})`);
      if (this.digits > 0) {
        if (b >= 0x30 && b <= 0x39) {
          if (this.num === 0) this.fail('SYRUP_NONCANONICAL', 'leading zero in an integer or length');
          this.num = this.num * 10 + (b - 0x30);
          if (++this.digits > Math.max(L.maxIntegerDigits, 16)) {
            this.fail('SYRUP_LIMIT', `integer longer than ${L.maxIntegerDigits} digits`);
          }
          continue;
        }
        const n = this.num;
        const digits = this.digits;
        this.digits = 0;
        this.num = 0;
        if (b === 0x2b || b === 0x2d) {
          if (digits > L.maxIntegerDigits) this.fail('SYRUP_LIMIT', `integer longer than ${L.maxIntegerDigits} digits`);
          if (this.depth === 0) return i;
          continue;
        }
        if (b === 0x3a || b === 0x22 || b === 0x27) {
          if (n > L.maxStringBytes) this.fail('SYRUP_LIMIT', `declared length ${n} exceeds maxStringBytes`);
          if (this.seen + n > L.maxBytes) this.fail('SYRUP_LIMIT', `value longer than maxBytes (${L.maxBytes})`);
          this.skip = n;
          if (n === 0 && this.depth === 0) return i;
          continue;
        }
        this.fail('SYRUP_MALFORMED', 'digits must be followed by one of + - : " \'');
      }
      if (b >= 0x30 && b <= 0x39) {
        this.digits = 1;
        this.num = b - 0x30;
        continue;
      }
      switch (b) {
        case 0x74: // t
        case 0x66: // f
          if (this.depth === 0) return i;
          break;
        case 0x44: // D
          this.skip = 8;
          if (this.seen + 8 > L.maxBytes) this.fail('SYRUP_LIMIT', `value longer than maxBytes (${L.maxBytes})`);
          break;
        case 0x5b:
        case 0x7b:
        case 0x3c:
        case 0x23:
          if (++this.depth > L.maxDepth) this.fail('SYRUP_LIMIT', `nesting deeper than maxDepth (${L.maxDepth})`);
          break;
        case 0x5d:
        case 0x7d:
        case 0x3e:
        case 0x24:
          if (this.depth === 0) this.fail('SYRUP_MALFORMED', `unexpected '${String.fromCharCode(b)}'`);
          if (--this.depth === 0) return i;
          break;
        case 0x46:
          this.fail('SYRUP_NONCANONICAL', 'float32 (F) is not used by OCapN');
        case 0x20:
        case 0x09:
        case 0x0a:
        case 0x0d:
        case 0x0c:
          this.fail('SYRUP_NONCANONICAL', 'whitespace');
        default:
          this.fail('SYRUP_MALFORMED', `unexpected byte 0x${b.toString(16).padStart(2, '0')}`);
      }
    }
    return -1;
  }
}
