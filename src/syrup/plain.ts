/**
 * `bytes` as a plain `Uint8Array` over the same memory. Node's `Buffer` (what
 * sockets deliver) overrides `slice` to return a *view*; reading through a
 * plain view makes `slice` copy, so decoded byte strings never alias input.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
