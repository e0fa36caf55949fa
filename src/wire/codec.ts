import type { SyrupLimits } from '../syrup/types.js';
import { decode, encode } from '../syrup/index.js';
import type { Dialect } from './dialect.js';
import type { PeerLocator } from './locators.js';
import { myLocationToSyrup } from './locators.js';
import type { Op } from './ops.js';
import { opFromRecord } from './read-op.js';
import { opToRecords } from './write-op.js';

/**
 * Byte-level message codec: one CapTP message is one canonical Syrup record.
 *
 * `encodeOp` returns one byte string per record (`opToRecords`; usually one,
 * several for Goblins' singular GC, none for an empty singular GC batch). Each
 * is a whole message for the netlayer to frame or send as it does.
 *
 * `decodeOp` decodes exactly one message. Byte-level faults keep their
 * `SYRUP_*` code (malformed, non-canonical, truncated, over a limit); a
 * well-formed value of the wrong shape throws `WIRE_MALFORMED`, an unknown
 * message label `WIRE_UNKNOWN_OP`.
 */
export function encodeOp(op: Op, dialect: Dialect): Uint8Array[] {
  const options = { foldNegativeZero: dialect.foldNegativeZero };
  return opToRecords(op, dialect).map((r) => encode(r, options));
}

export function decodeOp(bytes: Uint8Array, limits?: SyrupLimits): Op {
  return opFromRecord(decode(bytes, limits));
}

/** The bytes a start-session location signature covers: `<my-location peer>`, canonically encoded. */
export function myLocationBytes(location: PeerLocator): Uint8Array {
  return encode(myLocationToSyrup(location));
}
