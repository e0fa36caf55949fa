import { decode, encode, isRecord, record, type SyrupValue } from '../../syrup/index.js';
import { openSigEnvelope, randomBytes, signatureFromSyrup, signatureToSyrup, verify, type DesignatorSigner } from '../../crypto/index.js';
import { equalBytes } from '../../util/bytes.js';
import { CapmeshError } from '../../util/errors.js';

/**
 * WebSocket peer authentication as Goblins and Endo do it (notes §6): the
 * dialler proves nothing; the listener proves it holds the designator key.
 *
 * - `typed` (Goblins ≥ 0.18, Endo): the client sends one binary message
 *   `<init:peer-auth <32 random bytes>>`; the server signs **the exact bytes
 *   it received** with its designator key and answers
 *   `<desc:sig-envelope <init:peer-auth …> [sig-val …]>`.
 * - `legacy` (Goblins ≤ 0.17): the client sends 64 raw random bytes; the
 *   server answers with just the Syrup `sig-val` list.
 *
 * A server answers the typed form always, and the legacy form only when its
 * signer has `signLegacyPeerAuthChallenge` (the netlayer's `legacyPeerAuth`
 * option; default off, so by default nothing unlabelled is ever signed). It
 * tells the forms apart by shape. A typed challenge is signed through
 * `DesignatorSigner.signEncoded`: the exact bytes received, which must be the
 * canonical encoding of `<init:peer-auth <32 bytes>>`, or nothing is signed.
 */

/**
 * The peer-auth form a websocket dialler asks for: `typed` (`init:peer-auth`,
 * Goblins ≥ 0.18 and Endo) or `legacy` (Goblins ≤ 0.17). A netlayer option
 * (`WebSocketDialOptions.auth`), not part of the CapTP dialect.
 */
export type WebSocketAuth = 'typed' | 'legacy';

const LIMITS = { maxBytes: 1024, maxDepth: 4, maxItems: 8 };
export const LEGACY_CHALLENGE_BYTES = 64;

/** A fresh challenge of the given form. */
export function makeChallenge(form: WebSocketAuth): Uint8Array {
  return form === 'legacy' ? randomBytes(LEGACY_CHALLENGE_BYTES) : encode(record('init:peer-auth', randomBytes(32)));
}

function tryDecode(bytes: Uint8Array): SyrupValue | typeof NOT_SYRUP {
  try {
    return decode(bytes, LIMITS);
  } catch {
    return NOT_SYRUP;
  }
}
const NOT_SYRUP = Symbol('not syrup');

function isTypedChallenge(value: SyrupValue | typeof NOT_SYRUP): boolean {
  return value !== NOT_SYRUP && isRecord(value, 'init:peer-auth', 1) && value.fields[0] instanceof Uint8Array && value.fields[0].length === 32;
}

/**
 * The server's answer to a challenge, or undefined when `received` is neither
 * a typed challenge nor (with a legacy-enabled signer) a legacy one, or the
 * signer refuses it (e.g. non-canonical bytes): the caller then closes the
 * socket and nothing was signed. Rejects only when the key itself fails.
 */
export async function answerChallenge(received: Uint8Array, signer: DesignatorSigner): Promise<Uint8Array | undefined> {
  const value = tryDecode(received);
  if (isTypedChallenge(value)) {
    let signature: Uint8Array;
    try {
      signature = await signer.signEncoded(received);
    } catch (e) {
      if (e instanceof CapmeshError && e.code === 'SIGNING_REFUSED') return undefined;
      throw e;
    }
    return encode(record('desc:sig-envelope', value as SyrupValue, signatureToSyrup(signature)));
  }
  const legacy = signer.signLegacyPeerAuthChallenge;
  if (legacy !== undefined && received.length === LEGACY_CHALLENGE_BYTES) return encode(signatureToSyrup(await legacy(received)));
  return undefined;
}

/**
 * The client's check of the server's answer to `challenge` (sent in `form`)
 * against the designator key. Throws `WEBSOCKET_AUTH` when it does not hold.
 */
export function checkAnswer(form: WebSocketAuth, challenge: Uint8Array, answer: Uint8Array, publicKey: Uint8Array): void {
  const value = tryDecode(answer);
  if (value === NOT_SYRUP) throw new CapmeshError('WEBSOCKET_AUTH', 'the peer-auth answer is not a Syrup value');
  let signature: Uint8Array;
  try {
    if (form === 'legacy') {
      signature = signatureFromSyrup(value);
    } else {
      const opened = openSigEnvelope(value);
      if (!(opened.signed !== undefined && equalBytes(encode(opened.signed), challenge))) {
        throw new CapmeshError('WEBSOCKET_AUTH', 'the peer-auth answer signs another challenge');
      }
      signature = opened.signature;
    }
  } catch (cause) {
    if (cause instanceof CapmeshError && cause.code === 'WEBSOCKET_AUTH') throw cause;
    throw new CapmeshError('WEBSOCKET_AUTH', `the peer-auth answer is not a ${form === 'legacy' ? 'sig-val list' : 'signed envelope'}`, { cause });
  }
  if (!verify(publicKey, challenge, signature)) {
    throw new CapmeshError('WEBSOCKET_AUTH', 'the peer-auth signature does not verify under the designator key');
  }
}
