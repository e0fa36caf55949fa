import { CapmeshError } from './errors.js';

/**
 * RFC 4648 §6 base32, in the one spelling capmesh writes and reads: the
 * lowercase alphabet `a–z 2–7`, no `=` padding. This is the form of a
 * websocket designator (the base32 of a 32-byte Ed25519 public key).
 *
 * Decoding is strict, so that each byte string has exactly one accepted text
 * (designators are compared as strings):
 * - only lowercase letters and `2–7` are accepted; **uppercase is rejected**, as
 *   is `=` padding, whitespace and anything else;
 * - a length whose remainder mod 8 is 1, 3 or 6 is rejected (no byte count
 *   encodes to it);
 * - the unused low bits of the last character must be zero.
 *
 * Every failure throws `CapmeshError('INVALID_ARGUMENT')` with
 * `detail: { encoding: 'base32', position }`; callers that parse a designator
 * or URI re-throw it under their own code.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Character code → 5-bit value, or -1. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as lowercase unpadded base32. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff; // never more than 12 live bits
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31]!;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]!;
  return out;
}

function malformed(message: string, position: number): never {
  throw new CapmeshError('INVALID_ARGUMENT', `malformed base32: ${message}`, {
    detail: { encoding: 'base32', position },
  });
}

/** Decodes strict lowercase unpadded base32 (see the module note); throws `INVALID_ARGUMENT`. */
export function base32Decode(text: string): Uint8Array {
  if (typeof text !== 'string') malformed('not a string', 0);
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) malformed(`impossible length ${text.length}`, text.length);
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) malformed(`unexpected character ${JSON.stringify(text[i])}`, i);
    buffer = ((buffer << 5) | v) & 0xfff; // never more than 12 live bits
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) malformed('non-zero trailing bits', text.length - 1);
  return out;
}
