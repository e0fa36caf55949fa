import { CapmeshError } from '../util/errors.js';
import { decodePrefix } from './decode.js';
import { resolveLimits } from './limits.js';
import { ValueScanner } from './scan.js';
import type { SyrupLimits, SyrupValue } from './types.js';

/** Above this size an emptied internal buffer is released rather than kept. */
const KEEP_CAPACITY = 1 << 20;

/**
 * Finds where each Syrup value ends on an unframed byte stream, without
 * decoding: the one splitter under `SyrupStreamReader` (which decodes each
 * value) and the tcp-testing-only netlayer's unframed mode (which hands each
 * value's bytes to the session undecoded).
 *
 * `split(chunk, each)` calls `each(data, start, end)` for every value the
 * chunk completed, in order; `data.subarray(start, end)` is that value's bytes,
 * a view valid only during the call (copy it to keep it). A value may be split
 * at any byte across any number of chunks. Only the incomplete tail is kept
 * (copied — the caller may reuse `chunk` afterwards); a chunk that ends exactly
 * on a value boundary is never copied. Each byte is scanned once, so a large
 * value arriving in many small pieces costs linear time.
 *
 * Limits (`limits`, resolved): per value; `maxBytes` also bounds what is held
 * for one incomplete value (`SYRUP_LIMIT` as soon as it is exceeded or a
 * declared length would exceed it). Nothing is allocated for a declared length
 * before its bytes arrive: the held buffer grows by doubling with what came.
 *
 * Failure: an error (`SYRUP_*`, or one thrown by `each`) poisons the splitter:
 * that call and every later one throw the same error.
 */
export class SyrupValueSplitter {
  private readonly scanner: ValueScanner;
  private buf: Uint8Array = new Uint8Array(0);
  /** Start of the current incomplete value in `buf`. */
  private head = 0;
  /** End of the data in `buf`. */
  private tail = 0;
  /** Where scanning resumes in `buf`. */
  private scanPos = 0;
  private error: CapmeshError | undefined;

  constructor(limits: Readonly<Required<SyrupLimits>>) {
    this.scanner = new ValueScanner(limits);
  }

  /** Bytes held for a value that has not completed yet. */
  get buffered(): number {
    return this.tail - this.head;
  }

  /** True after an error; every later call throws it again. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Feeds the next chunk; calls `each` for every value it completed. */
  split(chunk: Uint8Array, each: (data: Uint8Array, start: number, end: number) => void): void {
    if (this.error !== undefined) throw this.error;
    try {
      this.consume(chunk, each);
    } catch (e) {
      this.error = e instanceof CapmeshError ? e : new CapmeshError('SYRUP_MALFORMED', 'stream reader failed', { cause: e });
      throw this.error;
    }
  }

  /** Declares the stream finished: throws `SYRUP_TRUNCATED` (and poisons) if part of a value is still held. */
  end(): void {
    if (this.error !== undefined) throw this.error;
    if (this.tail > this.head) {
      this.error = new CapmeshError('SYRUP_TRUNCATED', `stream ended inside a value (${this.buffered} bytes held)`);
      throw this.error;
    }
  }

  private consume(chunk: Uint8Array, each: (data: Uint8Array, start: number, end: number) => void): void {
    if (!(chunk instanceof Uint8Array)) {
      throw new CapmeshError('INVALID_ARGUMENT', '`chunk` must be a Uint8Array');
    }
    let data: Uint8Array;
    let head: number;
    let scan: number;
    let tail: number;
    if (this.head === this.tail) {
      data = chunk;
      head = scan = 0;
      tail = chunk.length;
    } else {
      this.append(chunk);
      data = this.buf;
      head = this.head;
      scan = this.scanPos;
      tail = this.tail;
    }
    while (scan < tail) {
      const end = this.scanner.scan(data, scan, tail);
      if (end < 0) {
        scan = tail;
        break;
      }
      each(data, head, end);
      this.scanner.reset();
      head = scan = end;
    }
    if (head === tail) {
      this.head = this.tail = this.scanPos = 0;
      if (this.buf.length > KEEP_CAPACITY) this.buf = new Uint8Array(0);
    } else if (data === chunk) {
      const n = tail - head;
      if (this.buf.length < n) this.buf = new Uint8Array(Math.max(n, 256));
      this.buf.set(chunk.subarray(head, tail), 0);
      this.head = 0;
      this.tail = n;
      this.scanPos = scan - head;
    } else {
      this.head = head;
      this.tail = tail;
      this.scanPos = scan;
    }
  }

  /** Appends to the held bytes, compacting or growing (by doubling) as needed. */
  private append(chunk: Uint8Array): void {
    const held = this.tail - this.head;
    const need = held + chunk.length;
    if (this.tail + chunk.length > this.buf.length) {
      if (need <= this.buf.length) {
        this.buf.copyWithin(0, this.head, this.tail);
      } else {
        let cap = Math.max(this.buf.length * 2, 256);
        while (cap < need) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.head, this.tail), 0);
        this.buf = next;
      }
      this.scanPos -= this.head;
      this.tail = held;
      this.head = 0;
    }
    this.buf.set(chunk, this.tail);
    this.tail += chunk.length;
  }
}

/**
 * Reads Syrup values written back to back on an unframed byte stream (the
 * tcp-testing netlayer before message framing, notes §6).
 *
 * `push(chunk)` returns, in order, every value completed by that chunk; a value
 * may be split at any byte across any number of chunks. The reader keeps only
 * the incomplete tail (copied — the caller may reuse `chunk` afterwards); a
 * chunk that ends exactly on a value boundary is never copied. Each byte is
 * scanned once to find where a value ends, then the value is decoded once, so
 * a large value arriving in many small pieces costs linear time.
 *
 * Limits apply per value, as in `decode`; `maxBytes` also bounds how much is
 * buffered for one incomplete value (`SYRUP_LIMIT` as soon as it is exceeded or
 * a declared length would exceed it).
 *
 * Failure: any error (`SYRUP_*`) poisons the reader: that push and every later
 * one throw the same error. Values completed earlier in the failing chunk are
 * not returned — the stream is broken and the connection should be aborted.
 */
export class SyrupStreamReader {
  private readonly limits: Readonly<Required<SyrupLimits>>;
  private readonly splitter: SyrupValueSplitter;

  constructor(limits?: SyrupLimits) {
    this.limits = resolveLimits(limits);
    this.splitter = new SyrupValueSplitter(this.limits);
  }

  /** Bytes held for a value that has not completed yet. */
  get buffered(): number {
    return this.splitter.buffered;
  }

  /** True after an error; every later `push` throws it again. */
  get failed(): boolean {
    return this.splitter.failed;
  }

  /** Feeds the next chunk; returns the values it completed (possibly none). */
  push(chunk: Uint8Array): SyrupValue[] {
    const out: SyrupValue[] = [];
    this.splitter.split(chunk, (data, start, end) => {
      const { value, end: decodedEnd } = decodePrefix(data, start, this.limits);
      if (decodedEnd !== end) throw new CapmeshError('SYRUP_MALFORMED', 'value boundary disagrees with the decoder');
      out.push(value);
    });
    return out;
  }

  /**
   * Declares the stream finished: throws `SYRUP_TRUNCATED` (and poisons the
   * reader) if part of a value is still buffered.
   */
  end(): void {
    this.splitter.end();
  }
}
