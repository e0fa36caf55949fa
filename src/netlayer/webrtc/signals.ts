import { CapmeshError } from '../../util/errors.js';
import { publicKeyOfDesignator, verifyAsync, type DesignatorSigner } from '../../crypto/index.js';
import { decode, encode } from '../../syrup/index.js';
import { SyrupRecord, Sym, isRecord, type SyrupValue } from '../../syrup/types.js';

/**
 * Signed session descriptions. A description carries the DTLS fingerprint
 * that the WebRTC connection will authenticate, so whoever may substitute it
 * could sit in the middle: the relay that routes it, for one. Each side signs
 * its description with its designator key, naming sender, receiver, the
 * dial it belongs to and when it was sent; the other side checks all of that
 * before it applies the description (the netlayer then checks `sentAt`
 * against its window and an offer's dial id against replays: see
 * `OfferLimits.offerWindowMs`).
 *
 *   payload = Syrup [ <capmesh-rtc-sdp-2 role from to dial-id sent-at sdp [upgrade]>  signature ]
 *
 * `upgrade`, present only in an offer that moves a live relay-path
 * connection onto a direct path, is the relay's id of that connection's
 * circuit (the same at both ends): the answerer attaches the channel to its
 * connection on that circuit with the offer's signer, or refuses the offer.
 *
 * Version 2 (this one) added `sent-at`, an integer of milliseconds since the
 * Unix epoch, and took a new label so no version-1 record can pass for one.
 * A version-1 record (`capmesh-rtc-sdp`, five fields) is refused with
 * `PROTOCOL`; such a peer reaches us over the relay path.
 */
export type SdpRole = 'offer' | 'answer';

export interface SignedSdp {
  readonly role: SdpRole;
  readonly from: string;
  readonly to: string;
  readonly dialId: Uint8Array;
  /** When the sender signed it: milliseconds since the Unix epoch, by the sender's clock. */
  readonly sentAt: number;
  readonly sdp: string;
  /** For an upgrade offer: the relay circuit id of the live connection the channel is for (see the module note). */
  readonly upgrade?: number;
}

const LABEL = 'capmesh-rtc-sdp-2';
const LABEL_V1 = 'capmesh-rtc-sdp';

/** The labelled statement a description's signature covers. */
export function sdpStatement(s: SignedSdp): SyrupRecord {
  const fields: SyrupValue[] = [new Sym(s.role), s.from, s.to, s.dialId, BigInt(Math.trunc(s.sentAt)), s.sdp];
  if (s.upgrade !== undefined) fields.push(BigInt(s.upgrade));
  return new SyrupRecord(new Sym(LABEL), fields);
}

/** Signs `s` with the designator signer (label `capmesh-rtc-sdp-2`); resolves with the signal payload. */
export async function signSdp(s: SignedSdp, signer: DesignatorSigner): Promise<Uint8Array> {
  const body = sdpStatement(s);
  return encode([body, await signer.sign(body)]);
}

/**
 * Opens and checks a signed description that the relay says came from
 * `relayFrom` (its freshness is the caller's to check). Rejects with `CRYPTO_BAD_SIGNATURE` when it is not signed by the
 * designator it names, and `PROTOCOL` when it names another sender, another
 * receiver than `us`, or another role than `role` (the shape is checked
 * before the signature, the addressing after it).
 *
 * Asynchronous: the signature is checked on the platform's crypto
 * (WebCrypto in browsers, where noble's first synchronous check in a fresh
 * worker cost tens of milliseconds of a first call). Callers keep the order
 * of a sender's signals themselves (netlayer.ts queues them per sender).
 */
export async function openSdp(payload: Uint8Array, relayFrom: string, us: string, role: SdpRole): Promise<SignedSdp> {
  let value: SyrupValue;
  try {
    value = decode(payload, { maxBytes: 256 * 1024 });
  } catch {
    throw new CapmeshError('PROTOCOL', 'a session description signal is not Syrup');
  }
  if (Array.isArray(value) && isRecord(value[0], LABEL_V1)) {
    throw new CapmeshError('PROTOCOL', 'a version-1 session description signal (no sent-at); the sender must upgrade');
  }
  if (!Array.isArray(value) || value.length !== 2 || !(isRecord(value[0], LABEL, 6) || isRecord(value[0], LABEL, 7)) || !(value[1] instanceof Uint8Array)) {
    throw new CapmeshError('PROTOCOL', 'a session description signal has the wrong shape');
  }
  const [body, signature] = value as [SyrupRecord, Uint8Array];
  const [roleSym, from, to, dialId, sentAt, sdp, upgrade] = body.fields;
  if (
    !(roleSym instanceof Sym) ||
    typeof from !== 'string' ||
    typeof to !== 'string' ||
    !(dialId instanceof Uint8Array) ||
    typeof sentAt !== 'bigint' ||
    sentAt < 0n ||
    sentAt > BigInt(Number.MAX_SAFE_INTEGER) ||
    typeof sdp !== 'string' ||
    (upgrade !== undefined && (typeof upgrade !== 'bigint' || upgrade < 0n || upgrade > BigInt(Number.MAX_SAFE_INTEGER)))
  ) {
    throw new CapmeshError('PROTOCOL', 'a session description signal has the wrong fields');
  }
  if (signature.length !== 64 || !(await verifyAsync(publicKeyOfDesignator(from), encode(body), signature))) {
    throw new CapmeshError('CRYPTO_BAD_SIGNATURE', `a session description is not signed by ${from.slice(0, 12)}…`);
  }
  if (from !== relayFrom) throw new CapmeshError('PROTOCOL', 'a session description names another sender than the one it came from');
  if (to !== us) throw new CapmeshError('PROTOCOL', 'a session description is addressed to another vat');
  if (roleSym.name !== role) throw new CapmeshError('PROTOCOL', `expected a signed ${role}, got ${roleSym.name}`);
  return { role, from, to, dialId, sentAt: Number(sentAt), sdp, ...(upgrade === undefined ? {} : { upgrade: Number(upgrade) }) };
}

/**
 * One trickled ICE candidate, or the end of them (`candidate` empty), for the
 * peer connection of the dial `dialId`. Unsigned, on purpose: a candidate
 * only says where to send ICE connectivity checks; what the connection
 * authenticates is the DTLS fingerprint, which travels in the signed
 * description. So whoever routes a candidate (the relay) can add, drop or
 * change candidates, which it could do to the traffic itself anyway (delay,
 * drop), but it cannot get into the DTLS session: a path through an address
 * it injected still ends in a DTLS handshake with the signed fingerprint.
 * What it can make us do is send a bounded number of STUN checks to
 * addresses of its choice (at most `OfferLimits.maxCandidatesPerConnection`
 * per peer connection, each paced by the browser's ICE agent), as any web
 * page can. See docs/security.md.
 *
 *   payload = Syrup <capmesh-rtc-ice-1 dial-id candidate sdp-mid sdp-m-line-index>
 *
 * `sdp-mid` is `""` and `sdp-m-line-index` is −1 where the browser gave none.
 */
export interface IceCandidateSignal {
  readonly dialId: Uint8Array;
  /** An `a=candidate` attribute value (`candidate:…`), or `''`: end of candidates. */
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
}

const ICE_LABEL = 'capmesh-rtc-ice-1';

/** The signal payload of a trickled candidate. */
export function encodeCandidate(c: IceCandidateSignal): Uint8Array {
  return encode(new SyrupRecord(new Sym(ICE_LABEL), [c.dialId, c.candidate, c.sdpMid ?? '', BigInt(c.sdpMLineIndex ?? -1)]));
}

/**
 * Reads a trickled candidate. Throws `CANDIDATE_REFUSED` when the payload is
 * longer than `maxBytes` (before decoding it), `PROTOCOL` when it has the
 * wrong shape or its candidate is neither empty nor a `candidate:` line.
 */
export function openCandidate(payload: Uint8Array, maxBytes: number): IceCandidateSignal {
  if (payload.length > maxBytes) throw new CapmeshError('CANDIDATE_REFUSED', `an ICE candidate signal of ${payload.length} bytes (maxCandidateBytes ${maxBytes})`);
  let value: SyrupValue;
  try {
    value = decode(payload, { maxBytes });
  } catch {
    throw new CapmeshError('PROTOCOL', 'an ICE candidate signal is not Syrup');
  }
  if (!isRecord(value, ICE_LABEL, 4)) throw new CapmeshError('PROTOCOL', 'an ICE candidate signal has the wrong shape');
  const [dialId, candidate, mid, mline] = value.fields;
  if (
    !(dialId instanceof Uint8Array) ||
    typeof candidate !== 'string' ||
    typeof mid !== 'string' ||
    typeof mline !== 'bigint' ||
    mline < -1n ||
    mline > 65_535n ||
    (candidate !== '' && !candidate.startsWith('candidate:'))
  ) {
    throw new CapmeshError('PROTOCOL', 'an ICE candidate signal has the wrong fields');
  }
  return { dialId, candidate, sdpMid: mid === '' ? null : mid, sdpMLineIndex: mline < 0n ? null : Number(mline) };
}
