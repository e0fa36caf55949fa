import { CapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import { plainBytes } from './plain.js';

/**
 * Length-prefixed message framing for stream netlayers (TCP, Tor; notes §6):
 * each message is written as a Syrup byte-string header — ASCII decimal
 * length, `:` — followed by the payload, with no trailing comma.
 */

/** Default largest frame `FrameReader` accepts: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

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
 * Payloads are fresh arrays the caller owns (never views of `chunk`). A frame
 * split over chunks is collected into one array of its declared size, so the
 * work is linear in the bytes received.
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
  /** The frame being filled, when its payload spans chunks. */
  private partial: Uint8Array | undefined;
  private filled = 0;
  private error: CapmeshError | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held for an incomplete frame (its header digits or payload so far). */
  get buffered(): number {
    return this.partial !== undefined ? this.filled : this.digits;
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
      const partial = this.partial;
      if (partial !== undefined) {
        const take = Math.min(partial.length - this.filled, n - i);
        partial.set(chunk.subarray(i, i + take), this.filled);
        this.filled += take;
        i += take;
        if (this.filled === partial.length) {
          out.push(partial);
          this.partial = undefined;
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
        this.partial = new Uint8Array(len);
        this.filled = 0;
      }
    }
    return out;
  }

  /** Declares the stream finished: throws `SYRUP_TRUNCATED` (and poisons) if a frame is incomplete. */
  end(): void {
    if (this.error !== undefined) throw this.error;
    if (this.partial !== undefined || this.digits > 0) this.fail('SYRUP_TRUNCATED', 'stream ended inside a frame');
  }
}
