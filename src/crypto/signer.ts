import { decode, encode } from '../syrup/index.js';
import { SyrupRecord, type SyrupValue } from '../syrup/types.js';
import { CapmeshError } from '../util/errors.js';
import { equalBytes } from '../util/bytes.js';
import { keyPairFromSecret, keyPairFromSecretAsync, sign, signAsync, type KeyPair } from './keys.js';

/**
 * Domain-separated signing with a vat's long-lived designator key (security
 * invariant 7: every signed structure carries a label saying what it is for;
 * no endpoint signs caller-chosen bytes without such a label).
 *
 * Two layers:
 * - A {@link DesignatorKey} is the private key itself: it signs any bytes.
 *   The vat owns it and never hands it to a netlayer. It is asynchronous so a
 *   platform key can back it (a non-extractable WebCrypto `CryptoKey` in a
 *   browser, see {@link cryptoKeyDesignatorKey}).
 * - A {@link DesignatorSigner} is what netlayers get: it signs only **labelled
 *   statements**, Syrup records whose label is one of
 *   {@link DESIGNATOR_STATEMENT_LABELS}, and always the statement's canonical
 *   encoding. So nothing a peer can make us sign through one protocol (a
 *   websocket challenge, an end-to-end transcript) can be taken for a
 *   statement of another (a relay registration, a session description).
 *
 * Failure: a statement that is not a record with a registered label, is not
 * canonical Syrup, is over `maxStatementBytes`, or (for `init:peer-auth`) has
 * the wrong shape is refused with `SIGNING_REFUSED` before the key is used.
 * A key failure (e.g. WebCrypto rejecting) rejects with whatever the key threw.
 */

/**
 * The labels a designator key signs, one per protocol:
 * - `relay:register-proof` — the relay registration proof (relay/protocol.ts);
 * - `capmesh-rtc-sdp-2` — a signed WebRTC session description (webrtc/signals.ts);
 * - `capmesh-e2e:transcript` — the relay end-to-end handshake transcript (relay/e2e.ts);
 * - `init:peer-auth` — a websocket listener's answer to a typed challenge (websocket/auth.ts);
 * - `capmesh-same-browser:auth` — a key proof on a same-browser channel (same-browser/channel.ts).
 */
export const DESIGNATOR_STATEMENT_LABELS: readonly string[] = Object.freeze([
  'relay:register-proof',
  'capmesh-rtc-sdp-2',
  'capmesh-e2e:transcript',
  'init:peer-auth',
  'capmesh-same-browser:auth',
]);

/** Default largest statement a signer signs, in encoded bytes (a session description is a few KiB). */
export const DEFAULT_MAX_STATEMENT_BYTES = 64 * 1024;

/** The legacy (Goblins ≤ 0.17) websocket challenge: exactly this many raw random bytes. */
export const LEGACY_PEER_AUTH_BYTES = 64;

/**
 * The private half of a designator key. Signs raw bytes (Ed25519, RFC 8032);
 * owned by the vat, never given to netlayers (they get a {@link DesignatorSigner}).
 */
export interface DesignatorKey {
  /** The 32-byte Ed25519 public key (the designator is its base32). */
  readonly publicKey: Uint8Array;
  /** Signs `message`; resolves with the 64-byte signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** What netlayers sign with: labelled statements only (see the module note). */
export interface DesignatorSigner {
  /** The 32-byte designator public key. */
  readonly publicKey: Uint8Array;
  /** Signs the canonical encoding of `statement`. Rejects with `SIGNING_REFUSED` unless its label is registered. */
  sign(statement: SyrupRecord): Promise<Uint8Array>;
  /**
   * Signs `bytes` exactly as given, after checking that they decode strictly
   * to one labelled statement and that they are that statement's canonical
   * encoding (so the bytes signed and the statement checked are the same).
   * For a peer's `init:peer-auth` challenge, and for callers that already
   * hold an encoded statement. Rejects with `SIGNING_REFUSED` otherwise.
   */
  signEncoded(bytes: Uint8Array): Promise<Uint8Array>;
  /**
   * Present only when the signer was made with `legacyPeerAuth: true`: signs
   * a Goblins ≤ 0.17 websocket challenge, which is exactly 64 raw bytes and
   * carries no label. Rejects with `SIGNING_REFUSED` for any other length.
   */
  readonly signLegacyPeerAuthChallenge?: (challenge: Uint8Array) => Promise<Uint8Array>;
}

export interface DesignatorSignerOptions {
  /**
   * Adds `signLegacyPeerAuthChallenge` (unlabelled 64-byte websocket
   * challenges, for Goblins ≤ 0.17 interop). Default false: the signer has no
   * such method.
   */
  readonly legacyPeerAuth?: boolean;
  /** Largest statement signed, in encoded bytes; larger ones are refused (`SIGNING_REFUSED`). Default 64 KiB. */
  readonly maxStatementBytes?: number;
}

function refuse(message: string, cause?: unknown): never {
  throw new CapmeshError('SIGNING_REFUSED', message, cause === undefined ? {} : { cause });
}

/** A `DesignatorKey` over an in-memory seed (Node's file-store identity, tests). Keeps its own copy of the seed. */
export function keyPairDesignatorKey(keyPair: KeyPair): DesignatorKey {
  const own = keyPairFromSecret(keyPair.secretKey);
  return {
    publicKey: own.publicKey,
    sign: async (message) => sign(own.secretKey, message),
  };
}

/**
 * `keyPairDesignatorKey` through the asynchronous backend (its public key
 * derived and its statements signed by WebCrypto in browsers, so it never
 * loads noble); the same key and signatures. What `createVat` uses.
 */
export async function keyPairDesignatorKeyAsync(keyPair: KeyPair): Promise<DesignatorKey> {
  const own = await keyPairFromSecretAsync(keyPair.secretKey);
  return {
    publicKey: own.publicKey,
    sign: (message) => signAsync(own.secretKey, message),
  };
}

/**
 * A `DesignatorKey` backed by a WebCrypto Ed25519 private key (which may be
 * non-extractable). `publicKey` is the raw 32-byte public key (from
 * `exportKey('raw', publicCryptoKey)`). Throws `CRYPTO_BAD_KEY` unless the
 * key is an Ed25519 private key allowed to sign.
 */
export function cryptoKeyDesignatorKey(privateKey: CryptoKey, publicKey: Uint8Array): DesignatorKey {
  if (privateKey?.type !== 'private' || privateKey.algorithm?.name !== 'Ed25519' || !privateKey.usages.includes('sign')) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'expected an Ed25519 private CryptoKey with the "sign" usage');
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new CapmeshError('CRYPTO_BAD_KEY', 'a designator public key is 32 bytes');
  }
  const pub = Uint8Array.from(publicKey);
  return {
    publicKey: pub,
    sign: async (message) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message as Uint8Array<ArrayBuffer>)),
  };
}

/** Checks the per-label shape where the statement's content comes from a peer. */
function checkShape(label: string, statement: SyrupRecord): void {
  if (label === 'init:peer-auth') {
    const [nonce] = statement.fields;
    if (statement.fields.length !== 1 || !(nonce instanceof Uint8Array) || nonce.length !== 32) {
      refuse('an init:peer-auth statement has exactly one 32-byte nonce');
    }
  }
}

/**
 * The signer netlayers get. Ordering: signatures resolve in whatever order
 * the key completes them; callers that need order chain their own calls.
 */
export function designatorSigner(key: DesignatorKey, options: DesignatorSignerOptions = {}): DesignatorSigner {
  const maxBytes = options.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
  const labels = new Set(DESIGNATOR_STATEMENT_LABELS);
  const labelOf = (statement: SyrupValue): string => {
    if (!(statement instanceof SyrupRecord)) {
      return refuse('only labelled statements (Syrup records) are signed with the designator key');
    }
    const label = statement.labelName;
    if (label === undefined || !labels.has(label)) {
      return refuse(`the designator key does not sign statements labelled ${label === undefined ? 'with a non-symbol' : JSON.stringify(label)}`);
    }
    checkShape(label, statement);
    return label;
  };
  const signer: DesignatorSigner = {
    publicKey: key.publicKey,
    async sign(statement) {
      labelOf(statement);
      const bytes = encode(statement);
      if (bytes.length > maxBytes) refuse(`a ${bytes.length}-byte statement is over the ${maxBytes}-byte limit`);
      return key.sign(bytes);
    },
    async signEncoded(bytes) {
      if (!(bytes instanceof Uint8Array)) refuse('signEncoded takes a byte string');
      if (bytes.length > maxBytes) refuse(`a ${bytes.length}-byte statement is over the ${maxBytes}-byte limit`);
      let statement: SyrupValue;
      try {
        statement = decode(bytes, { maxBytes });
      } catch (cause) {
        return refuse('the bytes to sign are not one strict Syrup value', cause);
      }
      labelOf(statement);
      if (!equalBytes(encode(statement), bytes)) refuse('the bytes to sign are not the canonical encoding of their statement');
      return key.sign(Uint8Array.from(bytes));
    },
  };
  if (options.legacyPeerAuth === true) {
    return {
      ...signer,
      signLegacyPeerAuthChallenge: async (challenge) => {
        if (!(challenge instanceof Uint8Array) || challenge.length !== LEGACY_PEER_AUTH_BYTES) {
          refuse(`a legacy peer-auth challenge is exactly ${LEGACY_PEER_AUTH_BYTES} bytes`);
        }
        return key.sign(Uint8Array.from(challenge));
      },
    };
  }
  return signer;
}

/** True when `identity` is a `KeyPair` (a seed in memory) rather than a `DesignatorKey`. */
export function isKeyPair(identity: KeyPair | DesignatorKey): identity is KeyPair {
  return (identity as KeyPair).secretKey instanceof Uint8Array;
}
