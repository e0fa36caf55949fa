import { CapmeshError } from '../../util/errors.js';
import { FrameReader, frame } from '../../syrup/framing.js';
import { resolveLimits } from '../../syrup/limits.js';
import { SyrupValueSplitter } from '../../syrup/stream.js';
import type { SyrupLimits } from '../../syrup/types.js';

/**
 * Splits a byte stream into whole OCapN messages, for stream netlayers
 * (notes §6). Two framings:
 *
 * - `syrup`: each message is prefixed as a Syrup byte string (`<len>:`), read
 *   with `FrameReader`;
 * - `none`: Syrup values written back to back; where each ends is found by
 *   `SyrupValueSplitter` (the splitter under `SyrupStreamReader`), which looks
 *   at every byte once and resumes where the last chunk stopped.
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

/** Finds message boundaries in back-to-back Syrup values; each message is copied out of the splitter's view. */
class UnframedMessageReader implements MessageReader {
  private readonly splitter: SyrupValueSplitter;

  constructor(options: MessageReaderOptions) {
    this.splitter = new SyrupValueSplitter(resolveLimits({ ...options.limits, maxBytes: options.maxMessageBytes }));
  }

  get buffered(): number {
    return this.splitter.buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.splitter.split(chunk, (data, start, end) => out.push(data.slice(start, end)));
    return out;
  }
}
