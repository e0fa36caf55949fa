import { describe, expect, it } from 'vitest';
import { record, sym, tagged, type SyrupValue } from '../../src/syrup/types.js';
import { fromHex } from '../../src/util/bytes.js';
import { publicKeyToSyrup, signatureToSyrup } from '../../src/crypto/forms.js';
import {
  answerDesc,
  descriptorFromSyrup,
  descriptorLabel,
  descriptorToSyrup,
  expectDescriptor,
  exportDesc,
  importObject,
  importPromise,
  type Descriptor,
  type HandoffGiveDesc,
  type HandoffReceiveDesc,
  type SigEnvelopeDesc,
} from '../../src/wire/descriptors.js';
import type { PeerLocator } from '../../src/wire/locators.js';
import { codeOf } from '../helpers/codes.js';

const KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const SIG = Uint8Array.from({ length: 64 }, (_, i) => i);
const ID32 = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + seed) & 0xff);
const EXPORTER: PeerLocator = { transport: 'tcp-testing-only', designator: 'e', hints: { host: '127.0.0.1', port: '1' } };

const give: HandoffGiveDesc = {
  type: 'handoff-give',
  receiverKey: KEY,
  exporterLocation: EXPORTER,
  session: ID32(1),
  gifterSide: ID32(2),
  giftId: ID32(3),
};
const giveEnvelope: SigEnvelopeDesc = { type: 'sig-envelope', signed: descriptorToSyrup(give), signature: SIG };
const receive: HandoffReceiveDesc = {
  type: 'handoff-receive',
  receivingSession: ID32(4),
  receivingSide: ID32(5),
  handoffCount: 0n,
  signedGive: giveEnvelope,
};

describe('descriptors', () => {
  const samples: [string, Descriptor][] = [
    ['import-object 0', importObject(0)],
    ['import-promise 7', importPromise(7)],
    ['export 2^53-1', exportDesc(Number.MAX_SAFE_INTEGER)],
    ['answer 0', answerDesc(0)],
    ['sig-envelope', giveEnvelope],
    ['handoff-give (bytes gift id)', give],
    ['handoff-give (integer gift id)', { ...give, giftId: 12345678901234567890n }],
    ['handoff-give (string gift id)', { ...give, giftId: 'my-gift' }],
    ['handoff-receive', receive],
    ['handoff-receive (big count)', { ...receive, handoffCount: 2n ** 70n }],
    ['sig-envelope around a receive', { type: 'sig-envelope', signed: descriptorToSyrup(receive), signature: SIG }],
  ];

  it.each(samples)('%s round-trips through its record', (_name, d) => {
    const rec = descriptorToSyrup(d);
    expect(rec.labelName).toBe(descriptorLabel(d.type));
    expect(descriptorFromSyrup(rec)).toStrictEqual(d);
  });

  it('writes the documented field order', () => {
    expect(descriptorToSyrup(exportDesc(0))).toStrictEqual(record('desc:export', 0n));
    expect(descriptorToSyrup(give)).toStrictEqual(
      record(
        'desc:handoff-give',
        publicKeyToSyrup(KEY),
        record('ocapn-peer', sym('tcp-testing-only'), 'e', { host: '127.0.0.1', port: '1' }),
        ID32(1),
        ID32(2),
        ID32(3),
      ),
    );
    expect(descriptorToSyrup(receive)).toStrictEqual(
      record('desc:handoff-receive', ID32(4), ID32(5), 0n, record('desc:sig-envelope', descriptorToSyrup(give), signatureToSyrup(SIG))),
    );
  });

  it('keeps a sig-envelope’s signed value exactly as read', () => {
    const odd = record('desc:handoff-give', 'anything', [1n, 2n]);
    const env = descriptorFromSyrup(record('desc:sig-envelope', odd, signatureToSyrup(SIG)));
    expect(env).toStrictEqual({ type: 'sig-envelope', signed: odd, signature: SIG });
    expect((env as SigEnvelopeDesc).signed).toBe(odd);
  });

  it('re-encodes an old-form exporter location unchanged inside a give', () => {
    const oldLoc = record('ocapn-node', sym('tcp'), 'e', false);
    const rec = record('desc:handoff-give', publicKeyToSyrup(KEY), oldLoc, ID32(1), ID32(2), 5n);
    const d = descriptorFromSyrup(rec);
    expect(d).toMatchObject({ type: 'handoff-give', giftId: 5n, exporterLocation: { designator: 'e', hints: null } });
    expect(descriptorToSyrup(d!)).toStrictEqual(rec);
  });

  it('returns undefined for values that are not descriptors', () => {
    const others: SyrupValue[] = [
      1n,
      'desc:export',
      sym('desc:export'),
      [record('desc:export', 1n)],
      record('desc:error', 'oops'),
      tagged('t', 1n),
      record('desc:tagged', sym('t'), 1n),
      record('ocapn-peer', sym('t'), 'd', {}),
      record('op:deliver'),
      record('desc:something-new', 1n),
      record('desc:export', 1n).fields, // a list
      record(new Uint8Array([1]), 1n), // non-symbol label
      undefined,
      null,
    ];
    for (const v of others) expect(descriptorFromSyrup(v)).toBeUndefined();
  });

  const bad: [string, SyrupValue][] = [
    ['export without position', record('desc:export')],
    ['export with two fields', record('desc:export', 1n, 2n)],
    ['negative position', record('desc:import-object', -1n)],
    ['position above 2^53-1', record('desc:answer', 2n ** 53n)],
    ['float position', record('desc:export', 1.5)],
    ['string position', record('desc:export', '1')],
    ['false position', record('desc:import-promise', false)],
    ['envelope with one field', record('desc:sig-envelope', 1n)],
    ['envelope with bad signature', record('desc:sig-envelope', 1n, [sym('sig-val')])],
    ['envelope with three fields', record('desc:sig-envelope', 1n, signatureToSyrup(SIG), 3n)],
    [
      'envelope with a 63-byte signature',
      record('desc:sig-envelope', 1n, [sym('sig-val'), [sym('eddsa'), [sym('r'), new Uint8Array(32)], [sym('s'), new Uint8Array(31)]]]),
    ],
    ['give with raw key bytes', record('desc:handoff-give', KEY, descriptorToSyrup(give).fields[1], ID32(1), ID32(2), ID32(3))],
    ['give with bad location', record('desc:handoff-give', publicKeyToSyrup(KEY), 'loc', ID32(1), ID32(2), ID32(3))],
    ['give with string session', record('desc:handoff-give', publicKeyToSyrup(KEY), descriptorToSyrup(give).fields[1], 's', ID32(2), ID32(3))],
    ['give with negative gift id', record('desc:handoff-give', publicKeyToSyrup(KEY), descriptorToSyrup(give).fields[1], ID32(1), ID32(2), -1n)],
    ['give with symbol gift id', record('desc:handoff-give', publicKeyToSyrup(KEY), descriptorToSyrup(give).fields[1], ID32(1), ID32(2), sym('g'))],
    ['give with four fields', record('desc:handoff-give', publicKeyToSyrup(KEY), descriptorToSyrup(give).fields[1], ID32(1), ID32(2))],
    ['receive with negative count', record('desc:handoff-receive', ID32(4), ID32(5), -1n, descriptorToSyrup(giveEnvelope))],
    ['receive with float count', record('desc:handoff-receive', ID32(4), ID32(5), 0.5, descriptorToSyrup(giveEnvelope))],
    ['receive with unsigned give', record('desc:handoff-receive', ID32(4), ID32(5), 0n, descriptorToSyrup(give))],
    ['receive with string side', record('desc:handoff-receive', ID32(4), 'side', 0n, descriptorToSyrup(giveEnvelope))],
  ];
  it.each(bad)('rejects %s with WIRE_MALFORMED', (_name, v) => {
    expect(codeOf(() => descriptorFromSyrup(v))).toBe('WIRE_MALFORMED');
  });

  it('expectDescriptor checks the kind', () => {
    expect(expectDescriptor(record('desc:answer', 3n), ['export', 'answer'], 'to')).toStrictEqual(answerDesc(3));
    expect(codeOf(() => expectDescriptor(record('desc:import-object', 3n), ['export', 'answer'], 'to'))).toBe('WIRE_MALFORMED');
    expect(codeOf(() => expectDescriptor(3n, ['export'], 'to'))).toBe('WIRE_MALFORMED');
  });

  it('refuses to write bad typed descriptors', () => {
    expect(codeOf(() => descriptorToSyrup(exportDesc(-1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => descriptorToSyrup(importObject(1.5)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => descriptorToSyrup({ ...give, receiverKey: new Uint8Array(31) }))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => descriptorToSyrup({ ...giveEnvelope, signature: new Uint8Array(63) }))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => descriptorToSyrup({ ...receive, handoffCount: -1n }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => descriptorToSyrup({ type: 'bogus' } as unknown as Descriptor))).toBe('INVALID_ARGUMENT');
  });
});
