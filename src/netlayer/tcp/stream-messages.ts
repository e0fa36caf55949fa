import { CapmeshError } from '../../util/errors.js';
import { FrameReader, frame } from '../../syrup/framing.js';
import { resolveLimits } from '../../syrup/limits.js';
import { ValueScanner } from '../../syrup/scan.js';
import type { SyrupLimits } from '../../syrup/types.js';

/**
 * Splits a byte stream into whole OCapN messages, for stream netlayers
 * (notes §6). Two framings:
 *
 * - `syrup`: each message is prefixed as a Syrup byte string (`<len>:`), read
 *   with `FrameReader`;
 * - `none`: Syrup values written back to back; where each ends is found by
 *   `ValueScanner`, which looks at every byte once and resumes where the last
 *   chunk stopped.
 *
 * Either way `push(chunk)` returns the messages that `chunk` completed, in
 * order, as fresh arrays the caller owns; the work is linear in the bytes
 * received. The messages are not decoded here: the session layer does that.
 *
 * Failure: malformed input (a bad frame header, bytes that cannot be Syrup)
 * or a message over the limit throws a `CapmeshError` (`SYRUP_*`), and the
 * reader stays failed. The caller should drop the connection: without valid
 * framing nothing after the fault can be trusted.
 */
export interface MessageReader {
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held for a message that has not completed. */
  readonly buffered: number;
}

export type StreamFramingMode = 'none' | 'syrup';

export interface MessageReaderOptions {
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Further limits for unframed scanning (depth, string and integer sizes). `maxBytes` is taken from `maxMessageBytes`. */
  readonly limits?: SyrupLimits;
}

export function createMessageReader(framing: StreamFramingMode, options: MessageReaderOptions): MessageReader {
  if (framing === 'syrup') return new FrameReader({ maxFrameBytes: options.maxMessageBytes });
  if (framing === 'none') return new UnframedMessageReader(options);
  throw new CapmeshError('INVALID_ARGUMENT', `framing must be "none" or "syrup", got ${JSON.stringify(framing)}`);
}

/** Writes one message in `framing`: as is for `none`, prefixed with `<len>:` for `syrup`. */
export function frameMessage(framing: StreamFramingMode, message: Uint8Array): Uint8Array {
  return framing === 'none' ? message : frame(message);
}

/** Finds message boundaries in back-to-back Syrup values. */
class UnframedMessageReader implements MessageReader {
  private readonly scanner: ValueScanner;
  /** The incomplete message so far, in `held[0..heldLength)`. */
  private held = new Uint8Array(0);
  private heldLength = 0;
  private error: CapmeshError | undefined;

  constructor(options: MessageReaderOptions) {
    this.scanner = new ValueScanner(resolveLimits({ ...options.limits, maxBytes: options.maxMessageBytes }));
  }

  get buffered(): number {
    return this.heldLength;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.error) throw this.error;
    try {
      return this.consume(chunk);
    } catch (e) {
      this.error = e instanceof CapmeshError ? e : new CapmeshError('SYRUP_MALFORMED', 'unreadable stream', { cause: e });
      throw this.error;
    }
  }

  private consume(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = this.scanner.scan(chunk, start, chunk.length);
      if (end < 0) {
        this.hold(chunk.subarray(start));
        break;
      }
      if (this.heldLength === 0) {
        out.push(chunk.slice(start, end));
      } else {
        this.hold(chunk.subarray(start, end));
        out.push(this.held.slice(0, this.heldLength));
        this.heldLength = 0;
        if (this.held.length > 1 << 20) this.held = new Uint8Array(0);
      }
      this.scanner.reset();
      start = end;
    }
    return out;
  }

  /** Appends to the held bytes, growing by doubling (amortised linear). */
  private hold(bytes: Uint8Array): void {
    const need = this.heldLength + bytes.length;
    if (need > this.held.length) {
      let cap = Math.max(this.held.length * 2, 256);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.held.subarray(0, this.heldLength), 0);
      this.held = next;
    }
    this.held.set(bytes, this.heldLength);
    this.heldLength = need;
  }
}
