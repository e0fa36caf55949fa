import * as Y from 'yjs';
import { CapmeshError } from '../index.js';

/** `maxUpdateBytes`'s default: the largest Yjs update (or initial state) one call may carry, 1 MiB. */
export const DEFAULT_MAX_UPDATE_BYTES = 1024 * 1024;
/** `maxAwarenessBytes`'s default: the largest awareness update one call may carry, 64 KiB. */
export const DEFAULT_MAX_AWARENESS_BYTES = 64 * 1024;

/** Throws `INVALID_ARGUMENT` unless `value` (the option `name`) is undefined or a positive safe integer; returns it or `fallback`. */
export function positiveOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${name}\` must be a positive integer`, { detail: { argument: name } });
  }
  return value;
}

/** Throws `LIMIT` unless `bytes` is a `Uint8Array` of at most `max` bytes (`what` names it in the message). */
export function checkBytes(bytes: unknown, max: number, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new CapmeshError('YJS_MALFORMED', `${what} must be a byte string`);
  if (bytes.length > max) throw new CapmeshError('LIMIT', `${what} of ${bytes.length} bytes is over the limit of ${max}`, { detail: { bytes: bytes.length, limit: max } });
}

/**
 * Applies a peer's Yjs update to `doc` as `origin`, after checking its size
 * and that it decodes in full (a dry decode, before anything is integrated).
 * Failure: `LIMIT` over `max`; `YJS_MALFORMED` when it does not decode, with
 * `doc` unchanged.
 */
export function applyPeerUpdate(doc: Y.Doc, update: unknown, max: number, origin: unknown): void {
  checkBytes(update, max, 'a Yjs update');
  try {
    Y.decodeUpdate(update);
  } catch (e) {
    throw new CapmeshError('YJS_MALFORMED', 'a Yjs update that does not decode', { cause: e });
  }
  try {
    Y.applyUpdate(doc, update, origin);
  } catch (e) {
    throw new CapmeshError('YJS_MALFORMED', 'a Yjs update that does not apply', { cause: e });
  }
}

/** Throws `YJS_MALFORMED` unless `sv` is a state vector that decodes. */
export function checkStateVector(sv: unknown, max: number): asserts sv is Uint8Array {
  checkBytes(sv, max, 'a state vector');
  try {
    Y.decodeStateVector(sv);
  } catch (e) {
    throw new CapmeshError('YJS_MALFORMED', 'a state vector that does not decode', { cause: e });
  }
}

/** Reads a lib0 variable-length unsigned integer at `at.pos`. */
function readVarUint(bytes: Uint8Array, at: { pos: number }): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at.pos >= bytes.length) throw new Error('truncated');
    const b = bytes[at.pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
    shift += 7;
    if (shift > 49) throw new Error('integer too long');
  }
}

/**
 * The client IDs an awareness update (y-protocols' encoding: a count, then
 * per client its ID, clock and JSON state) speaks for. Throws
 * `YJS_MALFORMED` when it does not parse to its last byte.
 */
export function awarenessClients(update: Uint8Array): number[] {
  try {
    const at = { pos: 0 };
    const count = readVarUint(update, at);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(readVarUint(update, at));
      readVarUint(update, at); // clock
      const len = readVarUint(update, at);
      if (at.pos + len > update.length) throw new Error('truncated');
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(update.subarray(at.pos, at.pos + len)));
      at.pos += len;
    }
    if (at.pos !== update.length) throw new Error('trailing bytes');
    return ids;
  } catch (e) {
    throw new CapmeshError('YJS_MALFORMED', 'an awareness update that does not decode', { cause: e });
  }
}

/** A Yjs client ID as it crosses CapTP (an integer arrives as a bigint); `YJS_MALFORMED` unless a uint32-range integer. */
export function clientIdOf(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new CapmeshError('YJS_MALFORMED', 'a client ID must be a non-negative integer');
  return n;
}
