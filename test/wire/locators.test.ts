import { describe, expect, it } from 'vitest';
import { record, sym, type SyrupValue } from '../../src/syrup/types.js';
import {
  isLocatorRecord,
  locatorFromSyrup,
  locatorToSyrup,
  locatorsEqual,
  myLocationToSyrup,
  sturdyRefFromSyrup,
  sturdyRefToSyrup,
  type PeerLocator,
} from '../../src/wire/locators.js';
import { codeOf } from '../helpers/codes.js';

const TCP: PeerLocator = { transport: 'tcp-testing-only', designator: 'test', hints: { host: '127.0.0.1', port: '22046' } };
const tcpRecord = () => record('ocapn-peer', sym('tcp-testing-only'), 'test', { host: '127.0.0.1', port: '22046' });

describe('peer locators', () => {
  it('reads the tcp-testing peer of the notes', () => {
    expect(locatorFromSyrup(tcpRecord())).toStrictEqual(TCP);
  });

  it('writes the current form: ocapn-peer, transport symbol, hints struct', () => {
    expect(locatorToSyrup(TCP)).toStrictEqual(tcpRecord());
  });

  it('writes {} for null hints (safest for older Endo)', () => {
    const rec = locatorToSyrup({ transport: 'websocket', designator: 'abc', hints: null });
    expect(rec.fields[2]).toStrictEqual({});
  });

  it('reads f hints as null and writes f back so signed bytes reproduce', () => {
    const v = record('ocapn-peer', sym('onion'), 'xyz', false);
    const loc = locatorFromSyrup(v);
    expect(loc.hints).toBeNull();
    expect(loc.form).toStrictEqual({ label: 'ocapn-peer', hints: 'false' });
    expect(locatorToSyrup(loc)).toStrictEqual(v);
    // Without the recorded form, null hints are written as {}.
    expect(locatorToSyrup({ ...loc, form: undefined } as PeerLocator).fields[2]).toStrictEqual({});
  });

  it.each(['ocapn-node', 'ocapn-machine'])('reads the old label %s and re-encodes it unchanged', (label) => {
    const v = record(label, sym('tcp-testing-only'), 'test', { host: '127.0.0.1', port: '22046' });
    const loc = locatorFromSyrup(v);
    expect(loc).toMatchObject(TCP);
    expect(loc.form).toStrictEqual({ label, hints: 'struct' });
    expect(locatorsEqual(loc, TCP)).toBe(true);
    expect(locatorToSyrup(loc)).toStrictEqual(v);
  });

  it('reads old Goblins list-of-pairs hints (string or symbol keys) and keeps their form', () => {
    const strPairs = record('ocapn-node', sym('tcp'), 'd', [
      ['port', '1'],
      ['host', 'h'],
    ]);
    const a = locatorFromSyrup(strPairs);
    expect(a.hints).toStrictEqual({ port: '1', host: 'h' });
    expect(a.form).toStrictEqual({ label: 'ocapn-node', hints: 'pairs' });
    expect(locatorToSyrup(a)).toStrictEqual(strPairs);

    const symPairs = record('ocapn-peer', sym('tcp'), 'd', [[sym('host'), 'h']]);
    const b = locatorFromSyrup(symPairs);
    expect(b.hints).toStrictEqual({ host: 'h' });
    expect(b.form?.hints).toBe('symbol-pairs');
    expect(locatorToSyrup(b)).toStrictEqual(symPairs);

    const empty = record('ocapn-peer', sym('tcp'), 'd', []);
    expect(locatorToSyrup(locatorFromSyrup(empty))).toStrictEqual(empty);
  });

  it('compares by transport and designator only', () => {
    expect(locatorsEqual(TCP, { ...TCP, hints: null })).toBe(true);
    expect(locatorsEqual(TCP, { ...TCP, designator: 'other' })).toBe(false);
    expect(locatorsEqual(TCP, { ...TCP, transport: 'websocket' })).toBe(false);
  });

  it('recognises locator records by label only', () => {
    expect(isLocatorRecord(tcpRecord())).toBe(true);
    expect(isLocatorRecord(record('ocapn-node'))).toBe(true);
    expect(isLocatorRecord(record('ocapn-sturdyref'))).toBe(false);
    expect(isLocatorRecord('ocapn-peer')).toBe(false);
  });

  const bad: [string, SyrupValue][] = [
    ['not a record', 'ocapn-peer'],
    ['other label', record('ocapn-sturdyref', sym('t'), 'd', {})],
    ['too few fields', record('ocapn-peer', sym('t'), 'd')],
    ['too many fields', record('ocapn-peer', sym('t'), 'd', {}, {})],
    ['string transport', record('ocapn-peer', 't', 'd', {})],
    ['symbol designator', record('ocapn-peer', sym('t'), sym('d'), {})],
    ['bytes designator', record('ocapn-peer', sym('t'), new Uint8Array(2), {})],
    ['hints true', record('ocapn-peer', sym('t'), 'd', true)],
    ['hints string', record('ocapn-peer', sym('t'), 'd', 'host=x')],
    ['non-string hint value', record('ocapn-peer', sym('t'), 'd', { port: 22046n })],
    ['pair of three', record('ocapn-peer', sym('t'), 'd', [['a', 'b', 'c']])],
    ['pair not a list', record('ocapn-peer', sym('t'), 'd', ['a'])],
    ['repeated pair key', record('ocapn-peer', sym('t'), 'd', [['a', 'b'], ['a', 'c']])],
    ['mixed pair keys', record('ocapn-peer', sym('t'), 'd', [['a', 'b'], [sym('c'), 'd']])],
    ['integer pair key', record('ocapn-peer', sym('t'), 'd', [[1n, 'b']])],
  ];
  it.each(bad)('rejects %s with WIRE_MALFORMED', (_name, v) => {
    expect(codeOf(() => locatorFromSyrup(v))).toBe('WIRE_MALFORMED');
  });

  it('refuses to write a bad typed locator', () => {
    expect(codeOf(() => locatorToSyrup({ transport: '', designator: 'd', hints: null }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => locatorToSyrup({ transport: 't', designator: 'd', hints: { port: 1 as unknown as string } }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('sturdyrefs and my-location', () => {
  const swiss = new TextEncoder().encode('JadQ0++RzsD4M+40uLxTWVaVqM10DcBJ');

  it('round-trips <ocapn-sturdyref peer swiss>', () => {
    const v = sturdyRefToSyrup({ peer: TCP, swiss });
    expect(v).toStrictEqual(record('ocapn-sturdyref', tcpRecord(), swiss));
    expect(sturdyRefFromSyrup(v)).toStrictEqual({ peer: TCP, swiss });
  });

  it('reads a sturdyref whose peer uses an old label', () => {
    const v = record('ocapn-sturdyref', record('ocapn-node', sym('tcp'), 'd', false), swiss);
    const ref = sturdyRefFromSyrup(v);
    expect(ref.peer.form).toStrictEqual({ label: 'ocapn-node', hints: 'false' });
    expect(sturdyRefToSyrup(ref)).toStrictEqual(v);
  });

  it.each<[string, SyrupValue]>([
    ['string swiss', record('ocapn-sturdyref', tcpRecord(), 'JadQ')],
    ['missing swiss', record('ocapn-sturdyref', tcpRecord())],
    ['bad peer', record('ocapn-sturdyref', 'peer', swiss)],
    ['wrong label', record('ocapn-peer', tcpRecord(), swiss)],
  ])('rejects %s', (_n, v) => {
    expect(codeOf(() => sturdyRefFromSyrup(v))).toBe('WIRE_MALFORMED');
  });

  it('wraps a locator in <my-location>', () => {
    expect(myLocationToSyrup(TCP)).toStrictEqual(record('my-location', tcpRecord()));
  });
});
