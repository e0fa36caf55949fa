import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CapmeshError } from '../util/errors.js';
import { utf8Encode } from '../util/bytes.js';
import { cryptoBackend } from './active-backend.js';

/**
 * Sealed frames for one direction of an end-to-end channel:
 * ChaCha20-Poly1305 (RFC 8439) with a per-direction key and a per-direction
 * frame counter as the nonce.
 *
 * Frame layout: `counter (8 bytes, big-endian) ‖ ciphertext ‖ tag (16 bytes)`.
 * The nonce is `0x00000000 ‖ counter`; the 8 counter bytes are also the
 * associated data. Keys are never shared between directions, so a counter
 * value is never used twice under one key.
 *
 * The opener accepts exactly the next counter: a frame with any other counter
 * was replayed, reordered or follows a dropped frame, and throws `E2E_REPLAY`;
 * a frame whose tag does not verify throws `E2E_TAMPERED`. Either failure
 * poisons the opener — every later `open` throws too — because the stream is
 * no longer the one the peer sent.
 */

/** The backend's ChaCha20-Poly1305 (Node's native), else `@noble/ciphers` (browsers: see backend.ts). */
function aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const backend = cryptoBackend();
  return backend.aeadSeal ? backend.aeadSeal(key, nonce, aad, plaintext) : chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const backend = cryptoBackend();
  return backend.aeadOpen ? backend.aeadOpen(key, nonce, aad, sealed) : chacha20poly1305(key, nonce, aad).decrypt(sealed);
}

export const FRAME_COUNTER_BYTES = 8;
export const FRAME_TAG_BYTES = 16;
/** Bytes a sealed frame adds to its plaintext. */
export const FRAME_OVERHEAD = FRAME_COUNTER_BYTES + FRAME_TAG_BYTES;

/** The two per-direction keys of a channel, derived from one shared secret. */
export interface ChannelKeys {
  /** Seals what the initiator (the dialler) sends. */
  readonly initiatorToResponder: Uint8Array;
  /** Seals what the responder sends. */
  readonly responderToInitiator: Uint8Array;
}

const KEY_INFO = utf8Encode('capmesh-e2e/1 channel keys');

/**
 * HKDF-SHA256 over the X25519 shared secret, salted with SHA-256 of the
 * handshake transcript (so the keys are bound to both ephemeral keys and both
 * identities), expanded to two 32-byte keys.
 */
export function deriveChannelKeys(sharedSecret: Uint8Array, transcript: Uint8Array): ChannelKeys {
  if (!(sharedSecret instanceof Uint8Array) || sharedSecret.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', '`sharedSecret` must be 32 bytes');
  }
  const okm = hkdf(sha256, sharedSecret, sha256(transcript), KEY_INFO, 64);
  return { initiatorToResponder: okm.slice(0, 32), responderToInitiator: okm.slice(32, 64) };
}

function counterBytes(counter: number): Uint8Array {
  const out = new Uint8Array(FRAME_COUNTER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(4, counter >>> 0);
  return out;
}

function nonceOf(counterHeader: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(counterHeader, 4);
  return nonce;
}

function readCounter(frame: Uint8Array): number {
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_COUNTER_BYTES);
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
}

function checkKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'a ChaCha20-Poly1305 key is 32 bytes');
  }
  return Uint8Array.from(key);
}

/** Seals the frames of one direction. Not reusable across channels. */
export class FrameSealer {
  readonly #key: Uint8Array;
  #next = 0;

  constructor(key: Uint8Array) {
    this.#key = checkKey(key);
  }

  /** Frames sealed so far (the next frame's counter). */
  get sent(): number {
    return this.#next;
  }

  /** Seals `plaintext` as the next frame. Throws `LIMIT` after 2^53 frames. */
  seal(plaintext: Uint8Array): Uint8Array {
    if (!Number.isSafeInteger(this.#next + 1)) throw new CapmeshError('LIMIT', 'the frame counter is exhausted');
    const header = counterBytes(this.#next++);
    const sealed = aeadSeal(this.#key, nonceOf(header), header, plaintext);
    const frame = new Uint8Array(FRAME_COUNTER_BYTES + sealed.length);
    frame.set(header, 0);
    frame.set(sealed, FRAME_COUNTER_BYTES);
    return frame;
  }
}

/** Opens the frames of one direction, in order, each exactly once. */
export class FrameOpener {
  readonly #key: Uint8Array;
  #next = 0;
  #failure: CapmeshError | undefined;

  constructor(key: Uint8Array) {
    this.#key = checkKey(key);
  }

  /** Frames opened so far (the counter expected next). */
  get received(): number {
    return this.#next;
  }

  /** Opens the next frame; throws `E2E_REPLAY` / `E2E_TAMPERED` as described in the module note. */
  open(frame: Uint8Array): Uint8Array {
    if (this.#failure) throw this.#failure;
    if (!(frame instanceof Uint8Array) || frame.length < FRAME_OVERHEAD) {
      return this.#fail(new CapmeshError('E2E_TAMPERED', `a ${frame?.length ?? 0}-byte frame is shorter than its own header and tag`));
    }
    const counter = readCounter(frame);
    if (counter !== this.#next) {
      return this.#fail(
        new CapmeshError('E2E_REPLAY', `frame counter ${counter} where ${this.#next} was due: the frame was replayed, reordered or one was dropped`, {
          detail: { counter, expected: this.#next },
        }),
      );
    }
    const header = frame.subarray(0, FRAME_COUNTER_BYTES);
    let plaintext: Uint8Array;
    try {
      plaintext = aeadOpen(this.#key, nonceOf(header), header, frame.subarray(FRAME_COUNTER_BYTES));
    } catch (cause) {
      return this.#fail(new CapmeshError('E2E_TAMPERED', `frame ${counter} failed authentication: it was modified in transit`, { cause, detail: { counter } }));
    }
    this.#next++;
    return plaintext;
  }

  #fail(error: CapmeshError): never {
    this.#failure = error;
    throw error;
  }
}
