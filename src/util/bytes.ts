/** Byte helpers shared by every layer. None of them allocate more than they return. */

const textEncoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is content, not a marker (dropping it would change re-encoded bytes).
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Decodes UTF-8, throwing `TypeError` on malformed input (callers wrap it). */
export function utf8Decode(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Lexicographic unsigned comparison; a strict prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

/** Parses lowercase or uppercase hex; throws `TypeError` on odd length or a bad digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError('hex string has odd length');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    if (Number.isNaN(byte) || !/^[0-9a-fA-F]{2}$/.test(hex.slice(2 * i, 2 * i + 2))) {
      throw new TypeError(`bad hex digit at ${2 * i}`);
    }
    out[i] = byte;
  }
  return out;
}

/** Bytes of an ASCII string (each char code must be < 128). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) throw new TypeError(`non-ASCII character at ${i}`);
    out[i] = c;
  }
  return out;
}
