import { CapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import { plainBytes } from './plain.js';

/**
 * Length-prefixed message framing for stream netlayers (TCP, Tor; notes §6):
 * each message is written as a Syrup byte-string header — ASCII decimal
 * length, `:` — followed by the payload, with no trailing comma.
 */

/** Default largest frame `FrameReader` accepts: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
/** The first buffer for a frame that spans chunks (smaller when the declared length is). */
const FIRST_PARTIAL_BYTES = 1024;

/** `<len>:` followed by `payload`, in one new array. */
export function frame(payload: Uint8Array): Uint8Array {
  const header = String(payload.length);
  const out = new Uint8Array(header.length + 1 + payload.length);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  out[header.length] = 0x3a;
  out.set(payload, header.length + 1);
  return out;
}

export interface FrameReaderOptions {
  /** Largest payload accepted; a larger declared length is refused before any of it is buffered. */
  maxFrameBytes?: number;
}

/**
 * Splits a byte stream into frames. `push(chunk)` returns the payloads of every
 * frame completed by `chunk`, in order; frames may be split at any byte.
 * Payloads are fresh arrays the caller owns (never views of `chunk`).
 *
 * Memory: the declared length is never allocated up front — a peer can declare
 * 16 MiB and send three bytes. A frame split over chunks is collected in a
 * buffer sized to what arrived (from 1 KiB, or the declared length if
 * smaller, then doubling, never past the declared length), so what a frame
 * holds is at most twice the bytes the peer actually sent and the work stays
 * linear in the bytes received.
 *
 * Failure (the reader is then poisoned: every later push throws the same
 * error): a header that is not canonical decimal — a leading zero, no digits,
 * any byte other than a digit before `:` — is `SYRUP_MALFORMED`; a declared
 * length over `maxFrameBytes` is `SYRUP_LIMIT`, raised as soon as the header's
 * digits exceed it.
 */
export class FrameReader {
  private readonly maxFrameBytes: number;
  /** Header digits read so far (0: at a frame start). */
  private digits = 0;
  private length = 0;
  /** The declared payload length of the frame being filled, when its payload spans chunks (else -1). */
  private declared = -1;
  /** The payload bytes received so far, in `partial[0..filled)`; grows with what arrives. */
  private partial: Uint8Array = EMPTY;
  private filled = 0;
  private error: CapmeshError | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held for an incomplete frame (its header digits or payload so far). */
  get buffered(): number {
    return this.declared >= 0 ? this.filled : this.digits;
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  private fail(code: CapmeshErrorCode, message: string): never {
    this.error = new CapmeshError(code, message);
    throw this.error;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.error !== undefined) throw this.error;
    if (!(chunk instanceof Uint8Array)) this.fail('INVALID_ARGUMENT', '`chunk` must be a Uint8Array');
    chunk = plainBytes(chunk);
    const out: Uint8Array[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.declared >= 0) {
        const take = Math.min(this.declared - this.filled, n - i);
        this.append(chunk.subarray(i, i + take));
        i += take;
        if (this.filled === this.declared) {
          out.push(this.partial.length === this.filled ? this.partial : this.partial.slice(0, this.filled));
          this.declared = -1;
          this.partial = EMPTY;
          this.filled = 0;
        }
        continue;
      }
      const b = chunk[i++]!;
      if (b >= 0x30 && b <= 0x39) {
        if (this.digits > 0 && this.length === 0) this.fail('SYRUP_MALFORMED', 'frame length has a leading zero');
        this.length = this.length * 10 + (b - 0x30);
        this.digits++;
        if (this.length > this.maxFrameBytes) {
          this.fail('SYRUP_LIMIT', `frame longer than maxFrameBytes (${this.maxFrameBytes})`);
        }
        continue;
      }
      if (b !== 0x3a || this.digits === 0) {
        this.fail('SYRUP_MALFORMED', `bad byte 0x${b.toString(16).padStart(2, '0')} in a frame header`);
      }
      const len = this.length;
      this.digits = 0;
      this.length = 0;
      if (n - i >= len) {
        out.push(chunk.slice(i, i + len));
        i += len;
      } else {
        this.declared = len;
        this.filled = 0;
      }
    }
    return out;
  }

  /**
   * Appends to the frame being filled. The buffer grows to what is needed —
   * from the smaller of the declared length and 1 KiB, doubling as needed,
   * capped at the declared length — so memory follows the bytes received.
   */
  private append(bytes: Uint8Array): void {
    const need = this.filled + bytes.length;
    if (need > this.partial.length) {
      let cap = Math.max(this.partial.length * 2, Math.min(this.declared, FIRST_PARTIAL_BYTES));
      while (cap < need) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.declared));
      next.set(this.partial.subarray(0, this.filled), 0);
      this.partial = next;
    }
    this.partial.set(bytes, this.filled);
    this.filled = need;
  }

  /** Declares the stream finished: throws `SYRUP_TRUNCATED` (and poisons) if a frame is incomplete. */
  end(): void {
    if (this.error !== undefined) throw this.error;
    if (this.declared >= 0 || this.digits > 0) this.fail('SYRUP_TRUNCATED', 'stream ended inside a frame');
  }
}
