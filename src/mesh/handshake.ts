import { CapmeshError } from '../util/errors.js';
import { compareBytes } from '../util/bytes.js';
import { generateKeyPair, publicIdOf, signLocation, verifyLocation, type KeyPair } from '../crypto/index.js';
import { locatorToSyrup, type Dialect, type PeerLocator, type StartSessionOp } from '../wire/index.js';

/**
 * `op:start-session`: what we send and how we check what arrives (OCapN
 * CapTP "Starting a session"; notes §3). Each connection gets a fresh session
 * key pair; the hello carries our locator signed with it, wrapped in
 * `<my-location …>` as every deployed peer expects.
 */
export interface LocalHello {
  readonly keyPair: KeyPair;
  readonly publicId: Uint8Array;
  readonly op: StartSessionOp;
}

export function makeHello(location: PeerLocator, dialect: Dialect): LocalHello {
  const keyPair = generateKeyPair();
  const locationSig = signLocation(keyPair.secretKey, locatorToSyrup(location));
  return {
    keyPair,
    publicId: publicIdOf(keyPair.publicKey),
    op: { op: 'start-session', captpVersion: dialect.captpVersion, sessionPubkey: keyPair.publicKey, location, locationSig },
  };
}

export interface CheckedHello {
  readonly peerKey: Uint8Array;
  readonly peerId: Uint8Array;
  readonly location: PeerLocator;
}

/** Throws `BAD_VERSION` or `BAD_LOCATION_SIGNATURE`; the caller aborts the connection with it. */
export function checkHello(op: StartSessionOp, dialect: Dialect): CheckedHello {
  if (op.captpVersion !== dialect.captpVersion) {
    throw new CapmeshError('BAD_VERSION', `unsupported CapTP version "${op.captpVersion}" (we speak "${dialect.captpVersion}")`);
  }
  if (!verifyLocation(op.sessionPubkey, locatorToSyrup(op.location), op.locationSig)) {
    throw new CapmeshError('BAD_LOCATION_SIGNATURE', 'the start-session location signature does not verify');
  }
  return { peerKey: op.sessionPubkey, peerId: publicIdOf(op.sessionPubkey), location: op.location };
}

/**
 * Crossed hellos: two connections between the same pair of vats. Each
 * connection is named by the Public ID of the session key its *dialler* sent
 * on it; the connection whose dialler ID is lower is aborted. Both sides see
 * the same keys, so both reach the same answer. Returns true when `a` loses.
 */
export function losesCrossedHellos(diallerIdA: Uint8Array, diallerIdB: Uint8Array): boolean {
  return compareBytes(diallerIdA, diallerIdB) < 0;
}

export const CROSSED_HELLOS_REASON = 'Crossed hellos mitigated';

/** True for the error a connection (or its session) ended with when it lost a crossed-hellos race, on either side. */
export function isCrossedHellos(error: unknown): boolean {
  return error instanceof Error && error.message.endsWith(CROSSED_HELLOS_REASON);
}
