import { CapmeshError } from './errors.js';

/**
 * RFC 4648 §5 base64url (alphabet `A–Z a–z 0–9 - _`). This is how Goblins and
 * Endo write a sturdyref's swiss number in an `ocapn://…/s/<swiss>` URI.
 *
 * - Encoding never writes `=` padding.
 * - Decoding accepts the text with or without padding. When padding is present
 *   it must be complete and correct (total length a multiple of 4, at most two
 *   `=`, only at the end). Characters of the standard alphabet (`+`, `/`),
 *   whitespace and anything else are rejected, as are an impossible length
 *   (remainder 1 mod 4) and non-zero unused bits in the last character — so a
 *   byte string has exactly one accepted unpadded text.
 *
 * Every failure throws `CapmeshError('INVALID_ARGUMENT')` with
 * `detail: { encoding: 'base64url', position }`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as unpadded base64url. */
export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (left === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

function malformed(message: string, position: number): never {
  throw new CapmeshError('INVALID_ARGUMENT', `malformed base64url: ${message}`, {
    detail: { encoding: 'base64url', position },
  });
}

/** Decodes base64url, padded or not (see the module note); throws `INVALID_ARGUMENT`. */
export function base64urlDecode(text: string): Uint8Array {
  if (typeof text !== 'string') malformed('not a string', 0);
  let end = text.length;
  if (text.endsWith('=')) {
    if (text.length % 4 !== 0) malformed('padding with a length that is not a multiple of 4', text.length);
    end -= text.endsWith('==') ? 2 : 1;
    // `===` or more, or padding that stands for a whole group, is not padding.
    if (text[end - 1] === '=' || end % 4 < 2) malformed('bad padding', end);
  }
  if (end % 4 === 1) malformed(`impossible length ${end}`, end);
  const out = new Uint8Array(Math.floor((end * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) malformed(`unexpected character ${JSON.stringify(text[i])}`, i);
    buffer = ((buffer << 6) | v) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) malformed('non-zero trailing bits', end - 1);
  return out;
}
