/**
 * `capmesh/syrup`: the canonical Syrup codec.
 *
 * - `encode` / `Encoder` — canonical bytes (encode.ts);
 * - `decode` / `decodePrefix` — the strict decoder with limits (decode.ts);
 * - `SyrupStreamReader` — values back to back on an unframed stream (stream.ts);
 * - `frame` / `FrameReader` — length-prefixed framing (framing.ts);
 * - `syrupEquals` — equality by canonical meaning (equals.ts);
 * - the value model (types.ts).
 *
 * @module capmesh/syrup
 */
export * from './types.js';
export { encode, Encoder, type EncodeOptions } from './encode.js';
export { decode, decodePrefix, type DecodeResult } from './decode.js';
export { resolveLimits } from './limits.js';
export { SyrupStreamReader } from './stream.js';
export { frame, FrameReader, DEFAULT_MAX_FRAME_BYTES, type FrameReaderOptions } from './framing.js';
export { syrupEquals } from './equals.js';
