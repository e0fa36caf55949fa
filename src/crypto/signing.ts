import { encode } from '../syrup/index.js';
import { isRecord, record, type SyrupRecord, type SyrupValue } from '../syrup/types.js';
import { CapmeshError } from '../util/errors.js';
import { signatureFromSyrup, signatureToSyrup } from './forms.js';
import { sign, signAsync, verify, verifyAsync } from './keys.js';

/**
 * Signatures over Syrup values. What is signed is always the value's
 * **canonical** Syrup encoding. A value decoded from the wire re-encodes to the
 * bytes that were received when those bytes were canonical (the Syrup value
 * model's rule), so verifying a decoded value checks the bytes the peer signed;
 * non-canonical input is refused by the strict decoder before it gets here.
 *
 * Uses in OCapN:
 * - `op:start-session`'s location signature covers `<my-location <ocapn-peer …>>`
 *   (`signLocation` / `verifyLocation`; the wrapper guards against a location
 *   signature being taken for any other signed statement).
 * - `desc:handoff-give` and `desc:handoff-receive` are signed as they are and
 *   carried in `<desc:sig-envelope signed [sig-val …]>` (`makeSigEnvelope` /
 *   `openSigEnvelope`). The websocket `init:peer-auth` reply uses the same
 *   envelope, but there the server signs **the exact bytes it received**,
 *   through `DesignatorSigner.signEncoded` (signer.ts), which refuses bytes
 *   that are not the canonical encoding of a labelled statement.
 *
 * Errors: bad key / signature lengths throw as in `keys.ts`; a value Syrup
 * cannot encode throws the encoder's `SYRUP_UNENCODABLE`. A signature that does
 * not verify is `false`, never an exception.
 */

/** Signs the canonical Syrup encoding of `value`; returns the 64-byte signature. */
export function signSyrup(secretKey: Uint8Array, value: SyrupValue): Uint8Array {
  return sign(secretKey, encode(value));
}

/** True when `signature` is `publicKey`'s signature over the canonical encoding of `value`. */
export function verifySyrup(publicKey: Uint8Array, value: SyrupValue, signature: Uint8Array): boolean {
  return verify(publicKey, encode(value), signature);
}

/** `verifySyrup` on the asynchronous backend (WebCrypto in browsers, see keys.ts). */
export function verifySyrupAsync(publicKey: Uint8Array, value: SyrupValue, signature: Uint8Array): Promise<boolean> {
  return verifyAsync(publicKey, encode(value), signature);
}

/** `<my-location location>`: the statement a start-session location signature covers. */
export function myLocationRecord(location: SyrupValue): SyrupRecord {
  return record('my-location', location);
}

/**
 * Signs `<my-location location>` with a session key, for `op:start-session`'s
 * acceptable-location-sig. `location` is the sender's own `<ocapn-peer …>`
 * record; its shape is the wire layer's to check, not this function's.
 */
export function signLocation(secretKey: Uint8Array, location: SyrupValue): Uint8Array {
  return signSyrup(secretKey, myLocationRecord(location));
}

/** `signLocation` on the asynchronous backend (WebCrypto in browsers): the same 64 bytes. */
export function signLocationAsync(secretKey: Uint8Array, location: SyrupValue): Promise<Uint8Array> {
  return signAsync(secretKey, encode(myLocationRecord(location)));
}

/** Checks a start-session location signature (see `signLocation`). */
export function verifyLocation(publicKey: Uint8Array, location: SyrupValue, signature: Uint8Array): boolean {
  return verifySyrup(publicKey, myLocationRecord(location), signature);
}

/** `verifyLocation` on the asynchronous backend. */
export function verifyLocationAsync(publicKey: Uint8Array, location: SyrupValue, signature: Uint8Array): Promise<boolean> {
  return verifySyrupAsync(publicKey, myLocationRecord(location), signature);
}

/** A `desc:sig-envelope` taken apart: the signed value and the 64-byte signature. */
export interface OpenedSigEnvelope {
  readonly signed: SyrupValue;
  readonly signature: Uint8Array;
}

/** Signs `signed` and wraps it: `<desc:sig-envelope signed [sig-val [eddsa [r …] [s …]]]>`. */
export function makeSigEnvelope(secretKey: Uint8Array, signed: SyrupValue): SyrupRecord {
  return record('desc:sig-envelope', signed, signatureToSyrup(signSyrup(secretKey, signed)));
}

/**
 * Takes a `desc:sig-envelope` apart without verifying it (the caller knows
 * which key must have signed). Throws `WIRE_MALFORMED` when `value` is not a
 * two-field `desc:sig-envelope` record, and `CRYPTO_BAD_SIGNATURE` when its
 * second field is not a well-formed `sig-val` list.
 */
export function openSigEnvelope(value: SyrupValue): OpenedSigEnvelope {
  if (!isRecord(value, 'desc:sig-envelope', 2)) {
    throw new CapmeshError('WIRE_MALFORMED', 'expected a two-field <desc:sig-envelope signed sig-val> record');
  }
  const [signed, sigForm] = value.fields;
  return { signed, signature: signatureFromSyrup(sigForm) };
}

/**
 * Opens an envelope and checks it against `publicKey`: returns the signed value
 * when the signature verifies, `undefined` when it does not. Malformed
 * envelopes throw as `openSigEnvelope` does.
 */
export function checkSigEnvelope(publicKey: Uint8Array, value: SyrupValue): SyrupValue | undefined {
  const { signed, signature } = openSigEnvelope(value);
  return verifySyrup(publicKey, signed, signature) ? signed : undefined;
}
