import { isCapmeshError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import { SyrupRecord, record, type SyrupValue } from '../syrup/types.js';
import { publicKeyFromSyrup, publicKeyToSyrup, signatureFromSyrup, signatureToSyrup } from '../crypto/forms.js';
import { describeValue, expectArity, malformed, readBytes, readInteger, readPosition, writePosition } from './fields.js';
import { locatorFromSyrup, locatorToSyrup, type PeerLocator } from './locators.js';

/**
 * CapTP descriptors (`desc:*` records), typed as a union discriminated on `type`.
 *
 * Descriptors are named from the receiver's point of view: the side that
 * exports writes `desc:import-object N` ("you now import my export N"), and the
 * other side refers back to it with `desc:export N`.
 *
 * Signed things keep their raw Syrup: `desc:sig-envelope`'s `signed` is the
 * value exactly as decoded, so its canonical bytes can be re-derived for
 * verification. `desc:handoff-give`/`desc:handoff-receive` typed values
 * re-encode to the same record they were read from.
 */

export interface ImportObjectDesc {
  readonly type: 'import-object';
  readonly position: number;
}
export interface ImportPromiseDesc {
  readonly type: 'import-promise';
  readonly position: number;
}
export interface ExportDesc {
  readonly type: 'export';
  readonly position: number;
}
export interface AnswerDesc {
  readonly type: 'answer';
  readonly position: number;
}

/** `<desc:sig-envelope signed sig>`: `signature` (64 bytes) covers the canonical bytes of `signed`. */
export interface SigEnvelopeDesc {
  readonly type: 'sig-envelope';
  readonly signed: SyrupValue;
  readonly signature: Uint8Array;
}

/** A gift id: 32 random bytes today; older peers use a non-negative integer or a string. */
export type GiftId = Uint8Array | bigint | string;

/** `<desc:handoff-give receiver-key exporter-location session gifter-side gift-id>`, signed by the gifter. */
export interface HandoffGiveDesc {
  readonly type: 'handoff-give';
  /** The receiver's 32-byte session public key in the gifter–receiver session. */
  readonly receiverKey: Uint8Array;
  readonly exporterLocation: PeerLocator;
  /** The gifter–exporter session ID. */
  readonly session: Uint8Array;
  /** The gifter's public ID in the gifter–exporter session. */
  readonly gifterSide: Uint8Array;
  readonly giftId: GiftId;
}

/** `<desc:handoff-receive receiving-session receiving-side handoff-count signed-give>`, signed by the receiver. */
export interface HandoffReceiveDesc {
  readonly type: 'handoff-receive';
  /** The exporter–receiver session ID. */
  readonly receivingSession: Uint8Array;
  /** The receiver's public ID in the exporter–receiver session. */
  readonly receivingSide: Uint8Array;
  /** Any non-negative integer; kept as bigint so a re-encoding is exact. */
  readonly handoffCount: bigint;
  /** The gifter's envelope, unchanged (its `signed` is the give record). */
  readonly signedGive: SigEnvelopeDesc;
}

export type PositionDesc = ImportObjectDesc | ImportPromiseDesc | ExportDesc | AnswerDesc;
export type Descriptor = PositionDesc | SigEnvelopeDesc | HandoffGiveDesc | HandoffReceiveDesc;
export type DescriptorType = Descriptor['type'];

const LABEL_OF: Readonly<Record<DescriptorType, string>> = {
  'import-object': 'desc:import-object',
  'import-promise': 'desc:import-promise',
  export: 'desc:export',
  answer: 'desc:answer',
  'sig-envelope': 'desc:sig-envelope',
  'handoff-give': 'desc:handoff-give',
  'handoff-receive': 'desc:handoff-receive',
};

const TYPE_OF: ReadonlyMap<string, DescriptorType> = new Map(
  (Object.entries(LABEL_OF) as [DescriptorType, string][]).map(([t, l]) => [l, t]),
);

/** The record label of a descriptor type (`'export'` → `'desc:export'`). */
export function descriptorLabel(type: DescriptorType): string {
  return LABEL_OF[type];
}

/** Runs a crypto-forms reader, turning its CRYPTO_* error into WIRE_MALFORMED (a shape error on the wire). */
function viaForms<T>(read: () => T, where: string): T {
  try {
    return read();
  } catch (e) {
    if (isCapmeshError(e, 'CRYPTO_BAD_KEY') || isCapmeshError(e, 'CRYPTO_BAD_SIGNATURE')) {
      return malformed(`${where}: ${e.message}`);
    }
    throw e;
  }
}

/** Reads a 32-byte Ed25519 public key from its OCapN list form. */
export function readPublicKey(v: SyrupValue, where: string): Uint8Array {
  return viaForms(() => publicKeyFromSyrup(v), where);
}

/** Reads a 64-byte Ed25519 signature from its OCapN `sig-val` list form. */
export function readSignature(v: SyrupValue, where: string): Uint8Array {
  return viaForms(() => signatureFromSyrup(v), where);
}

function readGiftId(v: SyrupValue): GiftId {
  if (v instanceof Uint8Array || typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') {
    const n = readInteger(v, '<desc:handoff-give> gift-id');
    if (n >= 0n) return n;
  }
  return malformed(`<desc:handoff-give> gift-id must be bytes, a non-negative integer or a string, got ${describeValue(v)}`);
}

function readSigEnvelope(rec: SyrupRecord): SigEnvelopeDesc {
  expectArity(rec, 'desc:sig-envelope', 2);
  return { type: 'sig-envelope', signed: rec.fields[0], signature: readSignature(rec.fields[1], '<desc:sig-envelope> signature') };
}

/** The `where` of each position descriptor's field, made once (not per message read). */
const POSITION_WHERE: Readonly<Record<PositionDesc['type'], string>> = {
  'import-object': `<${LABEL_OF['import-object']}> position`,
  'import-promise': `<${LABEL_OF['import-promise']}> position`,
  export: `<${LABEL_OF.export}> position`,
  answer: `<${LABEL_OF.answer}> position`,
};

/** The name a bad position is reported under when writing (`export position`…), made once. */
const POSITION_NAME: Readonly<Record<PositionDesc['type'], string>> = {
  'import-object': 'import-object position',
  'import-promise': 'import-promise position',
  export: 'export position',
  answer: 'answer position',
};

function readFields(type: DescriptorType, rec: SyrupRecord): Descriptor {
  const label = LABEL_OF[type];
  switch (type) {
    case 'import-object':
    case 'import-promise':
    case 'export':
    case 'answer':
      expectArity(rec, label, 1);
      return { type, position: readPosition(rec.fields[0], POSITION_WHERE[type]) };
    case 'sig-envelope':
      return readSigEnvelope(rec);
    case 'handoff-give': {
      expectArity(rec, label, 5);
      const [key, loc, session, side, gift] = rec.fields;
      return {
        type,
        receiverKey: readPublicKey(key, `<${label}> receiver-key`),
        exporterLocation: locatorFromSyrup(loc),
        session: readBytes(session, `<${label}> session`),
        gifterSide: readBytes(side, `<${label}> gifter-side`),
        giftId: readGiftId(gift),
      };
    }
    case 'handoff-receive': {
      expectArity(rec, label, 4);
      const [session, side, count, give] = rec.fields;
      const handoffCount = readInteger(count, `<${label}> handoff-count`);
      if (handoffCount < 0n) malformed(`<${label}> handoff-count must be non-negative, got ${handoffCount}`);
      const envelope = descriptorFromSyrup(give);
      if (envelope?.type !== 'sig-envelope') {
        malformed(`<${label}> signed-give must be a <desc:sig-envelope>, got ${describeValue(give)}`);
      }
      return {
        type,
        receivingSession: readBytes(session, `<${label}> receiving-session`),
        receivingSide: readBytes(side, `<${label}> receiving-side`),
        handoffCount,
        signedGive: envelope,
      };
    }
  }
}

/**
 * Reads a descriptor. Returns `undefined` when `v` is not a descriptor record at
 * all (any other value, including other `desc:*` passables such as
 * `desc:tagged`/`desc:error`); throws `WIRE_MALFORMED` when it carries a
 * descriptor label but the wrong fields.
 */
export function descriptorFromSyrup(v: SyrupValue): Descriptor | undefined {
  if (!(v instanceof SyrupRecord)) return undefined;
  const name = v.labelName;
  const type = name === undefined ? undefined : TYPE_OF.get(name);
  return type === undefined ? undefined : readFields(type, v);
}

/** Reads a descriptor that must be one of `types`; throws `WIRE_MALFORMED` otherwise. */
export function expectDescriptor<T extends DescriptorType>(
  v: SyrupValue,
  types: readonly T[],
  where: string,
): Extract<Descriptor, { type: T }> {
  const d = descriptorFromSyrup(v);
  if (d === undefined || !(types as readonly DescriptorType[]).includes(d.type)) {
    const want = types.map((t) => `<${LABEL_OF[t]}>`).join(' or ');
    return malformed(`${where} must be ${want}, got ${describeValue(v)}`);
  }
  return d as Extract<Descriptor, { type: T }>;
}

function writeGiftId(giftId: GiftId): SyrupValue {
  if (typeof giftId === 'bigint') {
    assert(giftId >= 0n, 'giftId', 'non-negative', giftId);
    return giftId;
  }
  assert(giftId instanceof Uint8Array || typeof giftId === 'string', 'giftId', 'bytes, a bigint or a string', giftId);
  return giftId;
}

function bytesField(b: Uint8Array, name: string): Uint8Array {
  assert(b instanceof Uint8Array, name, 'a Uint8Array', b);
  return b;
}

/** Writes a descriptor record. Throws `INVALID_ARGUMENT` (or the crypto form's error) on a bad typed value. */
export function descriptorToSyrup(d: Descriptor): SyrupRecord {
  const label = LABEL_OF[d.type];
  assert(label !== undefined, 'descriptor.type', 'a descriptor type', d.type);
  switch (d.type) {
    case 'import-object':
    case 'import-promise':
    case 'export':
    case 'answer':
      return record(label, writePosition(d.position, POSITION_NAME[d.type]));
    case 'sig-envelope':
      return record(label, d.signed, signatureToSyrup(d.signature));
    case 'handoff-give':
      return record(
        label,
        publicKeyToSyrup(d.receiverKey),
        locatorToSyrup(d.exporterLocation),
        bytesField(d.session, 'handoffGive.session'),
        bytesField(d.gifterSide, 'handoffGive.gifterSide'),
        writeGiftId(d.giftId),
      );
    case 'handoff-receive':
      assert(typeof d.handoffCount === 'bigint' && d.handoffCount >= 0n, 'handoffCount', 'a non-negative bigint', d.handoffCount);
      assert(d.signedGive?.type === 'sig-envelope', 'signedGive', 'a sig-envelope descriptor', d.signedGive);
      return record(
        label,
        bytesField(d.receivingSession, 'handoffReceive.receivingSession'),
        bytesField(d.receivingSide, 'handoffReceive.receivingSide'),
        d.handoffCount,
        descriptorToSyrup(d.signedGive),
      );
  }
}

/** Shorthands for the four position descriptors. */
export const importObject = (position: number): ImportObjectDesc => ({ type: 'import-object', position });
export const importPromise = (position: number): ImportPromiseDesc => ({ type: 'import-promise', position });
export const exportDesc = (position: number): ExportDesc => ({ type: 'export', position });
export const answerDesc = (position: number): AnswerDesc => ({ type: 'answer', position });
