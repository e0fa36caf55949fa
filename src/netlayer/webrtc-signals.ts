import { CapmeshError } from '../util/errors.js';
import { publicKeyOfDesignator, verify, type DesignatorSigner } from '../crypto/index.js';
import { decode, encode } from '../syrup/index.js';
import { SyrupRecord, Sym, isRecord, type SyrupValue } from '../syrup/types.js';

/**
 * Signed session descriptions. A description carries the DTLS fingerprint
 * that the WebRTC connection will authenticate, so whoever may substitute it
 * could sit in the middle: the relay that routes it, for one. Each side signs
 * its description with its designator key, naming sender, receiver and the
 * dial it belongs to; the other side checks all of that before it applies
 * the description.
 *
 *   payload = Syrup [ <capmesh-rtc-sdp role from to dial-id sdp>  signature ]
 */
export type SdpRole = 'offer' | 'answer';

export interface SignedSdp {
  readonly role: SdpRole;
  readonly from: string;
  readonly to: string;
  readonly dialId: Uint8Array;
  readonly sdp: string;
}

const LABEL = 'capmesh-rtc-sdp';

function recordOf(s: SignedSdp): SyrupRecord {
  return new SyrupRecord(new Sym(LABEL), [new Sym(s.role), s.from, s.to, s.dialId, s.sdp]);
}

/** Signs `s` with the designator signer (label `capmesh-rtc-sdp`); resolves with the signal payload. */
export async function signSdp(s: SignedSdp, signer: DesignatorSigner): Promise<Uint8Array> {
  const body = recordOf(s);
  return encode([body, await signer.sign(body)]);
}

/**
 * Opens and checks a signed description that the relay says came from
 * `relayFrom`. Throws `CRYPTO_BAD_SIGNATURE` when it is not signed by the
 * designator it names, and `PROTOCOL` when it names another sender, another
 * receiver than `us`, or another role than `role`.
 */
export function openSdp(payload: Uint8Array, relayFrom: string, us: string, role: SdpRole): SignedSdp {
  let value: SyrupValue;
  try {
    value = decode(payload, { maxBytes: 256 * 1024 });
  } catch {
    throw new CapmeshError('PROTOCOL', 'a session description signal is not Syrup');
  }
  if (!Array.isArray(value) || value.length !== 2 || !isRecord(value[0], LABEL, 5) || !(value[1] instanceof Uint8Array)) {
    throw new CapmeshError('PROTOCOL', 'a session description signal has the wrong shape');
  }
  const [body, signature] = value as [SyrupRecord, Uint8Array];
  const [roleSym, from, to, dialId, sdp] = body.fields;
  if (!(roleSym instanceof Sym) || typeof from !== 'string' || typeof to !== 'string' || !(dialId instanceof Uint8Array) || typeof sdp !== 'string') {
    throw new CapmeshError('PROTOCOL', 'a session description signal has the wrong fields');
  }
  if (signature.length !== 64 || !verify(publicKeyOfDesignator(from), encode(body), signature)) {
    throw new CapmeshError('CRYPTO_BAD_SIGNATURE', `a session description is not signed by ${from.slice(0, 12)}…`);
  }
  if (from !== relayFrom) throw new CapmeshError('PROTOCOL', 'a session description names another sender than the one it came from');
  if (to !== us) throw new CapmeshError('PROTOCOL', 'a session description is addressed to another vat');
  if (roleSym.name !== role) throw new CapmeshError('PROTOCOL', `expected a signed ${role}, got ${roleSym.name}`);
  return { role, from, to, dialId, sdp };
}
