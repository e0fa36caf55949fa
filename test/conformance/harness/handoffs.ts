import { expect } from 'vitest';
import { makeSigEnvelope, sign, type KeyPair } from '../../../src/crypto/index.js';
import { encode } from '../../../src/syrup/index.js';
import { Sym, SyrupRecord, type SyrupValue } from '../../../src/syrup/types.js';
import { utf8Encode } from '../../../src/util/bytes.js';
import {
  descriptorFromSyrup,
  descriptorToSyrup,
  type DeliverOp,
  type GiftId,
  type HandoffGiveDesc,
  type HandoffReceiveDesc,
  type PeerLocator,
  type SigEnvelopeDesc,
} from '../../../src/wire/index.js';
import type { Received } from './raw-session.js';

/**
 * Building and reading the signed handoff descriptors the suite's
 * `third_party_handoffs` tests exchange (notes §5), with our own crypto and
 * wire codec. The suite plays two of the three roles itself, so it holds the
 * private keys of both: it signs gives as a gifter and receives as a receiver.
 */

export interface GiveFields {
  /** The receiver's key in the gifter–receiver session. */
  readonly receiverKey: Uint8Array;
  readonly exporterLocation: PeerLocator;
  /** The gifter–exporter Session ID. */
  readonly session: Uint8Array;
  /** The gifter's Public ID in the gifter–exporter session. */
  readonly gifterSide: Uint8Array;
  readonly giftId: GiftId;
}

/** `<desc:sig-envelope <desc:handoff-give …> sig>`, signed with the gifter's G–E key. */
export function signGive(gifterKey: KeyPair, fields: GiveFields): SyrupRecord {
  return makeSigEnvelope(gifterKey.secretKey, descriptorToSyrup({ type: 'handoff-give', ...fields }));
}

/**
 * `<desc:sig-envelope <desc:handoff-receive …> sig>`, signed with the
 * receiver's G–R key; `badSignature` replaces the signature with one over other
 * bytes (the suite's "this signature is invalid").
 */
export function signReceive(
  receiverKey: KeyPair,
  fields: { receivingSession: Uint8Array; receivingSide: Uint8Array; handoffCount: bigint; signedGive: SyrupRecord },
  options: { badSignature?: boolean } = {},
): SyrupRecord {
  const signedGive = descriptorFromSyrup(fields.signedGive);
  if (signedGive?.type !== 'sig-envelope') throw new Error('signedGive must be a desc:sig-envelope');
  const receive = descriptorToSyrup({ ...fields, type: 'handoff-receive', signedGive });
  if (!options.badSignature) return makeSigEnvelope(receiverKey.secretKey, receive);
  return descriptorToSyrup({ type: 'sig-envelope', signed: receive, signature: sign(receiverKey.secretKey, utf8Encode('this signature is invalid')) });
}

/** A signed envelope's descriptor, which must hold a `desc:<type>`. */
export function openEnvelope<T extends 'handoff-give' | 'handoff-receive'>(
  value: SyrupValue | undefined,
  type: T,
): { envelope: SigEnvelopeDesc; desc: T extends 'handoff-give' ? HandoffGiveDesc : HandoffReceiveDesc } {
  const envelope = value === undefined ? undefined : descriptorFromSyrup(value);
  expect(envelope?.type).toBe('sig-envelope');
  const desc = descriptorFromSyrup((envelope as SigEnvelopeDesc).signed);
  expect(desc?.type).toBe(type);
  return { envelope: envelope as SigEnvelopeDesc, desc: desc as T extends 'handoff-give' ? HandoffGiveDesc : HandoffReceiveDesc };
}

/** The exact bytes of an envelope, to compare one that came back with the one we sent. */
export function envelopeBytes(envelope: SigEnvelopeDesc | SyrupRecord): Uint8Array {
  return encode(envelope instanceof SyrupRecord ? envelope : descriptorToSyrup(envelope));
}

/** `r` breaks its promise with capmesh's `<desc:error "CODE: …">` for `code`. */
export function expectBrokenWith(r: Received & { op: DeliverOp }, code: string): void {
  expect(r.op.args[0]).toEqual(new Sym('break'));
  const reason = r.op.args[1];
  expect(reason).toBeInstanceOf(SyrupRecord);
  expect((reason as SyrupRecord).labelName).toBe('desc:error');
  expect(String((reason as SyrupRecord).fields[0])).toMatch(new RegExp(`^${code}: `));
}
