import { decode, encode, isRecord, record, type SyrupRecord, type SyrupValue } from '../../syrup/index.js';
import { publicKeyOfDesignator, verify, type DesignatorSigner } from '../../crypto/index.js';
import { generateX25519KeyPair, x25519SharedSecret } from '../../crypto/x25519.js';
import { FrameOpener, FrameSealer, deriveChannelKeys } from '../../crypto/aead.js';
import { CapmeshError } from '../../util/errors.js';
import { concatBytes } from '../../util/bytes.js';
import { E2E_CHUNK_OVERHEAD, E2E_MAX_CONTROL_BYTES } from './e2e-limits.js';

/**
 * The end-to-end channel between two vats over a relay circuit. The relay
 * sees the three handshake messages and then only ciphertext.
 *
 * Handshake (initiator I dials responder R; both know R's designator, and R
 * learns I's from the first message):
 *
 *   I → R  <capmesh-e2e:init "1" I R ephI>
 *   R → I  <capmesh-e2e:accept ephR sigR>   sigR = Ed25519_R(transcript("responder"))
 *   I → R  <capmesh-e2e:confirm sigI>       sigI = Ed25519_I(transcript("initiator"))
 *
 * where `transcript(role) = <capmesh-e2e:transcript role "1" I R ephI ephR>`
 * (canonical Syrup; its label is the statement label the designator signer
 * requires, see `crypto/signer.ts`) and the signing keys are the two vats' long-lived
 * designator keys (the designator is base32 of the public key, so a verifier
 * needs nothing but the designator). Each side signs both fresh ephemeral
 * keys, so an old accept or confirm cannot be replayed into a new handshake;
 * the role string keeps one side's signature from being reflected as the
 * other's. I may send data right after `confirm`.
 *
 * Keys: X25519(ephI, ephR) → HKDF-SHA256 (salt = SHA-256 of
 * `<capmesh-e2e:keys "1" I R ephI ephR>`) → one ChaCha20-Poly1305 key per
 * direction, with per-direction frame counters (`crypto/aead.ts`). A
 * replayed, reordered, dropped or modified frame makes `open` throw
 * `E2E_REPLAY` or `E2E_TAMPERED`, and the channel is then dead.
 *
 * Messages: see `E2eChannel` — records packed into frames that fit the
 * relay's frame limit; the receiver reassembles up to `maxMessageBytes`
 * (else `LIMIT`).
 *
 * Handshake failures throw `E2E_HANDSHAKE`. Signing is asynchronous (the
 * designator key may be a platform key): `E2eInitiator.accept` and
 * `E2eResponder.create` resolve once the signature is made.
 */

export const E2E_VERSION = '1';

/** The local side of a handshake: who we are and how we sign. */
export interface E2eIdentity {
  readonly designator: string;
  /** Signs labelled statements with the designator key (`NetlayerBinding.signer`). */
  readonly signer: DesignatorSigner;
}

export interface E2eChannelOptions {
  /** Largest plaintext chunk per frame (the relay frame limit minus headers). */
  readonly maxChunkBytes: number;
  /** Largest reassembled message accepted. */
  readonly maxMessageBytes: number;
}

const LIMITS = { maxBytes: 4096, maxDepth: 2, maxItems: 8 };

function fail(message: string, cause?: unknown): never {
  throw new CapmeshError('E2E_HANDSHAKE', message, cause === undefined ? {} : { cause });
}

function parse(bytes: Uint8Array, label: string, arity: number): readonly SyrupValue[] {
  let value: SyrupValue;
  try {
    value = decode(bytes, LIMITS);
  } catch (cause) {
    return fail(`expected <${label}>, got bytes that are not one small Syrup record`, cause);
  }
  if (!isRecord(value, label, arity)) fail(`expected a ${arity}-field <${label}> record`);
  return value.fields;
}

function key32(v: SyrupValue, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 32) fail(`${what} must be 32 bytes`);
  return v;
}

function sig64(v: SyrupValue, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 64) fail(`${what} must be a 64-byte signature`);
  return v;
}

function designatorKey(designator: string, who: string): Uint8Array {
  try {
    return publicKeyOfDesignator(designator);
  } catch (cause) {
    return fail(`the ${who} designator is not a base32 Ed25519 key`, cause);
  }
}

interface Transcript {
  readonly initiator: string;
  readonly responder: string;
  readonly ephI: Uint8Array;
  readonly ephR: Uint8Array;
}

function transcript(role: 'initiator' | 'responder', t: Transcript): SyrupRecord {
  return record('capmesh-e2e:transcript', role, E2E_VERSION, t.initiator, t.responder, t.ephI, t.ephR);
}

function signedBytes(role: 'initiator' | 'responder', t: Transcript): Uint8Array {
  return encode(transcript(role, t));
}

function channelFor(role: 'initiator' | 'responder', t: Transcript, secret: Uint8Array, options: E2eChannelOptions): E2eChannel {
  const ours = role === 'initiator' ? t.ephR : t.ephI;
  let shared: Uint8Array;
  try {
    shared = x25519SharedSecret(secret, ours);
  } catch (cause) {
    return fail('the peer ephemeral key is of low order', cause);
  }
  const keys = deriveChannelKeys(shared, encode(record('capmesh-e2e:keys', E2E_VERSION, t.initiator, t.responder, t.ephI, t.ephR)));
  return role === 'initiator'
    ? new E2eChannel(keys.initiatorToResponder, keys.responderToInitiator, options)
    : new E2eChannel(keys.responderToInitiator, keys.initiatorToResponder, options);
}

/** The initiator's handshake: send `init`, then feed the accept to `accept`. */
export class E2eInitiator {
  /** The first message to send. */
  readonly init: Uint8Array;
  readonly #identity: E2eIdentity;
  readonly #peer: string;
  readonly #peerKey: Uint8Array;
  readonly #eph = generateX25519KeyPair();
  readonly #options: E2eChannelOptions;

  constructor(identity: E2eIdentity, peerDesignator: string, options: E2eChannelOptions) {
    this.#identity = identity;
    this.#peer = peerDesignator;
    this.#peerKey = designatorKey(peerDesignator, 'responder');
    this.#options = options;
    this.init = encode(record('capmesh-e2e:init', E2E_VERSION, identity.designator, peerDesignator, this.#eph.publicKey));
  }

  /**
   * Checks the responder's accept; returns the confirm to send and the open
   * channel. Throws `E2E_HANDSHAKE` when the accept is malformed or not signed
   * by the responder's designator key.
   */
  async accept(bytes: Uint8Array): Promise<{ readonly confirm: Uint8Array; readonly channel: E2eChannel }> {
    const [ephR, sigR] = parse(bytes, 'capmesh-e2e:accept', 2);
    const t: Transcript = { initiator: this.#identity.designator, responder: this.#peer, ephI: this.#eph.publicKey, ephR: key32(ephR, 'the responder ephemeral key') };
    if (!verify(this.#peerKey, signedBytes('responder', t), sig64(sigR, 'the responder signature'))) {
      fail(`the accept is not signed by ${this.#peer.slice(0, 12)}…'s designator key`);
    }
    const channel = channelFor('initiator', t, this.#eph.secretKey, this.#options);
    const confirm = encode(record('capmesh-e2e:confirm', await this.#identity.signer.sign(transcript('initiator', t))));
    return { confirm, channel };
  }
}

/** The responder's handshake: `create` it from the peer's init; send `accept`, then feed the confirm to `confirm`. */
export class E2eResponder {
  /** The initiator's designator as its init claims it (proven only once `confirm` succeeds). */
  readonly peer: string;
  /** The message to send back. */
  readonly accept: Uint8Array;
  readonly #t: Transcript;
  readonly #peerKey: Uint8Array;
  readonly #secret: Uint8Array;
  readonly #options: E2eChannelOptions;

  /**
   * Checks the init and signs our side of the transcript. Rejects with
   * `E2E_HANDSHAKE` when the init is malformed, of another version, or meant
   * for another designator (nothing is signed then).
   */
  static async create(identity: E2eIdentity, initBytes: Uint8Array, options: E2eChannelOptions): Promise<E2eResponder> {
    const [version, initiator, responder, ephI] = parse(initBytes, 'capmesh-e2e:init', 4);
    if (version !== E2E_VERSION) fail(`unsupported end-to-end version ${JSON.stringify(version)}`);
    if (typeof initiator !== 'string' || typeof responder !== 'string') fail('init designators must be strings');
    if (responder !== identity.designator) fail('the init names another responder: the relay routed it to the wrong vat');
    const peerKey = designatorKey(initiator, 'initiator');
    const eph = generateX25519KeyPair();
    const t: Transcript = { initiator, responder, ephI: key32(ephI, 'the initiator ephemeral key'), ephR: eph.publicKey };
    const accept = encode(record('capmesh-e2e:accept', eph.publicKey, await identity.signer.sign(transcript('responder', t))));
    return new E2eResponder(initiator, accept, t, peerKey, eph.secretKey, options);
  }

  private constructor(peer: string, accept: Uint8Array, t: Transcript, peerKey: Uint8Array, secret: Uint8Array, options: E2eChannelOptions) {
    this.peer = peer;
    this.accept = accept;
    this.#t = t;
    this.#peerKey = peerKey;
    this.#secret = secret;
    this.#options = options;
  }

  /** Checks the initiator's confirm; returns the open channel. Throws `E2E_HANDSHAKE` on a bad signature. */
  confirm(bytes: Uint8Array): E2eChannel {
    const [sigI] = parse(bytes, 'capmesh-e2e:confirm', 1);
    if (!verify(this.#peerKey, signedBytes('initiator', this.#t), sig64(sigI, 'the initiator signature'))) {
      fail(`the confirm is not signed by ${this.peer.slice(0, 12)}…'s designator key`);
    }
    return channelFor('responder', this.#t, this.#secret, this.#options);
  }
}

const MORE = 1;
const LAST = 0;
/** A whole netlayer control message (path switching, `webrtc/path-switch.ts`), never split across records. */
const CONTROL = 2;
/** A record inside a frame: flag (1 byte) ‖ length (4 bytes, big-endian) ‖ bytes. */
const RECORD_HEADER = 5;
/** Largest control record `seal` accepts (e2e-limits.ts). */
export { E2E_MAX_CONTROL_BYTES };

/** A netlayer control message to seal next to data messages (flag 2: the receiver's `openRecords` marks it `control`). */
export interface E2eControl {
  readonly control: Uint8Array;
}

/** What `openRecords` returns: a whole message, or a control message. */
export interface E2eRecord {
  readonly bytes: Uint8Array;
  readonly control: boolean;
}

/**
 * An open channel: seals outgoing messages into frames, opens incoming
 * frames into messages.
 *
 * Packing: a frame's plaintext is a run of records `flag ‖ length ‖ bytes`.
 * `seal` packs the messages it is given into as few frames as fit
 * `maxChunkBytes` (several small messages share a frame; a large one spans
 * frames, flag 1 marking "continues in the next record"), so a caller that
 * batches the messages of one turn pays one seal and one relay frame for
 * them.
 */
export class E2eChannel {
  readonly #sealer: FrameSealer;
  readonly #opener: FrameOpener;
  readonly #maxChunk: number;
  readonly #maxMessage: number;
  #partial: Uint8Array[] = [];
  #partialBytes = 0;

  constructor(sendKey: Uint8Array, receiveKey: Uint8Array, options: E2eChannelOptions) {
    if (!Number.isSafeInteger(options.maxChunkBytes) || options.maxChunkBytes <= RECORD_HEADER) {
      throw new CapmeshError('INVALID_ARGUMENT', `\`maxChunkBytes\` must be an integer above ${RECORD_HEADER}`);
    }
    this.#sealer = new FrameSealer(sendKey);
    this.#opener = new FrameOpener(receiveKey);
    this.#maxChunk = options.maxChunkBytes;
    this.#maxMessage = options.maxMessageBytes;
  }

  /** Frames sent and received so far. */
  get counters(): { readonly sent: number; readonly received: number } {
    return { sent: this.#sealer.sent, received: this.#opener.received };
  }

  /**
   * The sealed frames carrying `messages`, in order. A control item (at most
   * `E2E_MAX_CONTROL_BYTES`) is one record with flag 2, never split: it
   * starts a new frame when the current one has no room for it.
   */
  seal(messages: readonly (Uint8Array | E2eControl)[]): Uint8Array[] {
    const frames: Uint8Array[] = [];
    // Bytes still to write, headers included: each chunk is allocated no larger than needed.
    let pending = 0;
    for (const item of messages) pending += RECORD_HEADER + (item instanceof Uint8Array ? item : item.control).length;
    let chunk = new Uint8Array(Math.min(this.#maxChunk, pending));
    let used = 0;
    for (const item of messages) {
      if (!(item instanceof Uint8Array)) {
        const control = item.control;
        if (control.length > E2E_MAX_CONTROL_BYTES || RECORD_HEADER + control.length > this.#maxChunk) {
          throw new CapmeshError('INVALID_ARGUMENT', `a control message is limited to ${E2E_MAX_CONTROL_BYTES} bytes`);
        }
        if (chunk.length - used < RECORD_HEADER + control.length) {
          if (used > 0) frames.push(this.#sealer.seal(chunk.subarray(0, used)));
          chunk = new Uint8Array(Math.min(this.#maxChunk, pending));
          used = 0;
        }
        chunk[used] = CONTROL;
        new DataView(chunk.buffer, chunk.byteOffset).setUint32(used + 1, control.length);
        chunk.set(control, used + RECORD_HEADER);
        used += RECORD_HEADER + control.length;
        pending -= RECORD_HEADER + control.length;
        continue;
      }
      const message = item;
      let offset = 0;
      do {
        // Room for a header and at least one byte (none for an empty rest); a fresh chunk always has it.
        if (chunk.length - used < RECORD_HEADER + Math.min(1, message.length - offset)) {
          frames.push(this.#sealer.seal(chunk.subarray(0, used)));
          chunk = new Uint8Array(Math.min(this.#maxChunk, pending));
          used = 0;
        }
        const take = Math.min(message.length - offset, chunk.length - used - RECORD_HEADER);
        const end = offset + take;
        const more = end < message.length;
        chunk[used] = more ? MORE : LAST;
        new DataView(chunk.buffer, chunk.byteOffset).setUint32(used + 1, take);
        chunk.set(message.subarray(offset, end), used + RECORD_HEADER);
        used += RECORD_HEADER + take;
        // The rest of a split message needs a header of its own.
        pending -= take + (more ? 0 : RECORD_HEADER);
        offset = end;
      } while (offset < message.length);
    }
    if (used > 0) frames.push(this.#sealer.seal(chunk.subarray(0, used)));
    return frames;
  }

  /**
   * Opens the next frame and returns the messages it completes (possibly
   * none). Throws `E2E_REPLAY` / `E2E_TAMPERED` (see the module note), or
   * `LIMIT` when a message grows past the limit.
   */
  open(frame: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const record of this.openRecords(frame)) {
      if (record.control) throw new CapmeshError('E2E_TAMPERED', 'a control record where none may be');
      out.push(record.bytes);
    }
    return out;
  }

  /**
   * As `open`, but control records (flag 2, see `seal`) come back too, marked,
   * in their place among the messages. A control record inside a split
   * message, or over `E2E_MAX_CONTROL_BYTES`, is `E2E_TAMPERED`.
   */
  openRecords(frame: Uint8Array): E2eRecord[] {
    const plaintext = this.#opener.open(frame);
    const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    const out: E2eRecord[] = [];
    let at = 0;
    if (plaintext.length === 0) throw new CapmeshError('E2E_TAMPERED', 'an empty frame');
    while (at < plaintext.length) {
      if (plaintext.length - at < RECORD_HEADER) throw new CapmeshError('E2E_TAMPERED', 'a frame ends inside a record header');
      const flag = plaintext[at]!;
      const length = view.getUint32(at + 1);
      const start = at + RECORD_HEADER;
      if ((flag !== MORE && flag !== LAST && flag !== CONTROL) || start + length > plaintext.length) {
        throw new CapmeshError('E2E_TAMPERED', 'a frame holds a malformed record');
      }
      const body = plaintext.subarray(start, start + length);
      at = start + length;
      if (flag === CONTROL) {
        if (this.#partial.length > 0 || length > E2E_MAX_CONTROL_BYTES) throw new CapmeshError('E2E_TAMPERED', 'a malformed control record');
        out.push({ bytes: body, control: true });
        continue;
      }
      this.#partialBytes += length;
      if (this.#partialBytes > this.#maxMessage) {
        throw new CapmeshError('LIMIT', `an end-to-end message passed the ${this.#maxMessage}-byte limit`);
      }
      if (flag === MORE) {
        this.#partial.push(body);
        continue;
      }
      const parts = this.#partial;
      this.#partial = [];
      this.#partialBytes = 0;
      out.push({ bytes: parts.length === 0 ? body : concatBytes(...parts, body), control: false });
    }
    return out;
  }
}

/** Bytes sealing adds to a frame's plaintext (counter + tag); `maxChunkBytes` is the plaintext budget. Defined in e2e-limits.ts. */
export { E2E_CHUNK_OVERHEAD };
