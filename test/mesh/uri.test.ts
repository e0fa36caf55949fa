import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatPeerUri, formatSturdyRef, parsePeerUri, parseSturdyRef, type PeerLocator, type SturdyRef } from '../../src/index.js';

const SWISS_32 = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const SWISS_32_TEXT = 'AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK-2vcTL0tk'; // Buffer.from(SWISS_32).toString('base64url')

/** `{}` and `null` hints both mean "no hints": a URI without a query parses as null. */
function normalPeer(peer: PeerLocator): PeerLocator {
  return { ...peer, hints: peer.hints && Object.keys(peer.hints).length > 0 ? peer.hints : null };
}
function normalRef(ref: SturdyRef): SturdyRef {
  return { ...ref, peer: normalPeer(ref.peer) };
}

const wellFormed = (minLength: number) =>
  fc.string({ unit: 'binary', minLength, maxLength: 24 }).filter((s) => s.isWellFormed());
const transport = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9+_-]{0,15}$/);
const hints = fc.option(fc.dictionary(wellFormed(1), wellFormed(0), { maxKeys: 4 }), { nil: null });
const peer: fc.Arbitrary<PeerLocator> = fc.record({ transport, designator: wellFormed(1), hints });
const sturdyRef: fc.Arbitrary<SturdyRef> = fc.record({ peer, swiss: fc.uint8Array({ minLength: 1, maxLength: 64 }) });

describe('ocapn:// URIs: known forms', () => {
  it('reads the test suite’s peer URI', () => {
    expect(parsePeerUri('ocapn://a2ef69ddd5f84840970612ff660f5058.tcp-testing-only?host=127.0.0.1&port=22045')).toEqual({
      transport: 'tcp-testing-only',
      designator: 'a2ef69ddd5f84840970612ff660f5058',
      hints: { host: '127.0.0.1', port: '22045' },
    });
  });

  it('writes a sturdyref with unpadded base64url swiss and sorted hints', () => {
    const uri = formatSturdyRef({ peer: { transport: 'tcp-testing-only', designator: 'abc', hints: { port: '1', host: 'h' } }, swiss: SWISS_32 });
    expect(uri).toBe(`ocapn://abc.tcp-testing-only/s/${SWISS_32_TEXT}?host=h&port=1`);
    expect(formatSturdyRef({ peer: { transport: 'memory', designator: 'abc', hints: {} }, swiss: SWISS_32 })).toBe(
      `ocapn://abc.memory/s/${SWISS_32_TEXT}`,
    );
  });

  it('accepts padding on the swiss number, and a scheme in any case', () => {
    expect(parseSturdyRef(`ocapn://abc.memory/s/${SWISS_32_TEXT}=`).swiss).toEqual(SWISS_32);
    expect(parseSturdyRef('ocapn://abc.memory/s/AA==').swiss).toEqual(new Uint8Array([0]));
    expect(parseSturdyRef(`OCAPN://abc.memory/s/${SWISS_32_TEXT}`).swiss).toEqual(SWISS_32);
  });

  it('takes the transport after the LAST dot, so designators may hold dots', () => {
    expect(parsePeerUri('ocapn://my.host.example.websocket')).toMatchObject({ designator: 'my.host.example', transport: 'websocket' });
    const ref = parseSturdyRef('ocapn://a.b.c/s/AQ');
    expect(ref.peer).toMatchObject({ designator: 'a.b', transport: 'c', hints: null });
  });

  it('percent-decodes the designator and hints, and writes them back encoded', () => {
    const parsed = parsePeerUri('ocapn://d%20%C3%A9.memory?k%3D=v%26w&plus=a+b');
    expect(parsed).toEqual({ transport: 'memory', designator: 'd é', hints: { 'k=': 'v&w', plus: 'a b' } });
    expect(formatPeerUri(parsed)).toBe('ocapn://d%20%C3%A9.memory?k%3D=v%26w&plus=a%20b');
    expect(parsePeerUri('ocapn://x.memory/')).toMatchObject({ designator: 'x' });
  });

  it('keeps a hint named __proto__ as an ordinary hint', () => {
    const parsed = parsePeerUri('ocapn://x.memory?__proto__=1');
    expect(Object.keys(parsed.hints!)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.hints)).toBe(Object.prototype);
  });
});

describe('ocapn:// URIs: round trips (fast-check, seeded)', () => {
  it('parseSturdyRef(formatSturdyRef(ref)) equals ref, and formatting is a fixpoint', () => {
    fc.assert(
      fc.property(sturdyRef, (ref) => {
        const uri = formatSturdyRef(ref);
        const back = parseSturdyRef(uri);
        expect(normalRef(back)).toEqual(normalRef(ref));
        expect(formatSturdyRef(back)).toBe(uri);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });

  it('parsePeerUri(formatPeerUri(peer)) equals peer', () => {
    fc.assert(
      fc.property(peer, (p) => {
        const uri = formatPeerUri(p);
        expect(normalPeer(parsePeerUri(uri))).toEqual(normalPeer(p));
        expect(uri).toMatch(/^ocapn:\/\/[\x21-\x7e]+$/);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });

  it('a sturdyref URI is not a peer URI and a peer URI is not a sturdyref', () => {
    fc.assert(
      fc.property(sturdyRef, (ref) => {
        expect(() => parsePeerUri(formatSturdyRef(ref))).toThrow(expect.objectContaining({ code: 'URI_MALFORMED' }));
        expect(() => parseSturdyRef(formatPeerUri(ref.peer))).toThrow(expect.objectContaining({ code: 'URI_MALFORMED' }));
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});

describe('ocapn:// URIs: malformed input throws URI_MALFORMED naming the problem', () => {
  const S = SWISS_32_TEXT;
  const table: [string, string, RegExp][] = [
    ['empty string', '', /must start with ocapn:\/\//],
    ['other scheme', `https://abc.memory/s/${S}`, /must start with ocapn:\/\//],
    ['scheme without slashes', `ocapn:abc.memory/s/${S}`, /must start with ocapn:\/\//],
    ['no transport', `ocapn://abc/s/${S}`, /<designator>\.<transport>/],
    ['empty designator', `ocapn://.memory/s/${S}`, /<designator>\.<transport>/],
    ['empty transport', `ocapn://abc./s/${S}`, /bad transport ""/],
    ['a port in the authority', `ocapn://abc.tcp:8080/s/${S}`, /bad transport "tcp:8080"/],
    ['transport starting with a dash', `ocapn://abc.-x/s/${S}`, /bad transport/],
    ['a fragment', `ocapn://abc.memory/s/${S}#frag`, /fragment/],
    ['a raw space', `ocapn://a b.memory/s/${S}`, /U\+0020 must be percent-encoded/],
    ['a raw non-ASCII character', `ocapn://é.memory/s/${S}`, /U\+00E9 must be percent-encoded/],
    ['bad percent-encoding in the designator', `ocapn://a%zz.memory/s/${S}`, /percent-encoding in the designator/],
    ['percent-encoded lone surrogate', `ocapn://a%ED%A0%80.memory/s/${S}`, /percent-encoding in the designator/],
    ['no path', 'ocapn://abc.memory', /path is \/s\/<swiss>/],
    ['wrong path', `ocapn://abc.memory/x/${S}`, /path is \/s\/<swiss>/],
    ['empty swiss', 'ocapn://abc.memory/s/', /one path segment/],
    ['two segments', `ocapn://abc.memory/s/${S}/more`, /one path segment/],
    ['trailing slash', `ocapn://abc.memory/s/${S}/`, /one path segment/],
    ['standard base64 alphabet', 'ocapn://abc.memory/s/ab+/', /one path segment|URL-safe base64/],
    ['a plus in the swiss', 'ocapn://abc.memory/s/ab+c', /URL-safe base64/],
    ['impossible base64 length', 'ocapn://abc.memory/s/AAAAA', /URL-safe base64/],
    ['bad padding', 'ocapn://abc.memory/s/AAA==', /URL-safe base64/],
    ['non-zero trailing bits', 'ocapn://abc.memory/s/AB', /URL-safe base64/],
    ['percent-encoded swiss', 'ocapn://abc.memory/s/%41%41', /URL-safe base64/],
    ['swiss of only padding', 'ocapn://abc.memory/s/====', /URL-safe base64|empty swiss/],
    ['hint without =', `ocapn://abc.memory/s/${S}?host`, /hint "host" is not key=value/],
    ['hint with empty key', `ocapn://abc.memory/s/${S}?=1`, /hint "=1" is not key=value/],
    ['empty hint pair', `ocapn://abc.memory/s/${S}?a=1&&b=2`, /hint "" is not key=value/],
    ['repeated hint', `ocapn://abc.memory/s/${S}?a=1&a=2`, /hint "a" is repeated/],
    ['bad percent-encoding in a hint', `ocapn://abc.memory/s/${S}?a=%E0%A4`, /percent-encoding in a hint value/],
  ];

  it.each(table)('%s', (_what, uri, problem) => {
    let thrown: unknown;
    try {
      parseSturdyRef(uri);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'CapmeshError', code: 'URI_MALFORMED' });
    expect((thrown as { detail: { problem: string } }).detail.problem).toMatch(problem);
    expect((thrown as Error).message).toContain('not an ocapn URI');
  });

  it('a peer URI with a path is refused', () => {
    expect(() => parsePeerUri('ocapn://abc.memory/s/AA')).toThrow(/unexpected path "\/s\/AA"/);
  });

  it('a non-string is refused with URI_MALFORMED, not a TypeError', () => {
    expect(() => parseSturdyRef(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'URI_MALFORMED' }));
  });

  it('cuts a very long URI in the message', () => {
    const long = `https://${'x'.repeat(500)}`;
    expect(() => parseSturdyRef(long)).toThrow(expect.objectContaining({ message: expect.stringMatching(/x…$/) }));
  });
});

describe('formatting refuses what no URI can carry', () => {
  const base: PeerLocator = { transport: 'memory', designator: 'abc', hints: null };
  it.each([
    ['a transport with a dot', { ...base, transport: 'a.b' }],
    ['an empty transport', { ...base, transport: '' }],
    ['an empty designator', { ...base, designator: '' }],
    ['a lone surrogate in the designator', { ...base, designator: 'a\uD800' }],
    ['an empty hint key', { ...base, hints: { '': 'x' } }],
    ['a lone surrogate in a hint', { ...base, hints: { k: '\uDC00' } }],
  ])('%s', (_what, locator) => {
    expect(() => formatPeerUri(locator)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => formatSturdyRef({ peer: locator, swiss: SWISS_32 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it.each([
    ['null', null],
    ['a string', 'ocapn://abc.memory'],
    ['a non-string designator', { ...base, designator: 7 }],
    ['a missing transport', { designator: 'abc', hints: null }],
    ['hints that are a string', { ...base, hints: 'k=v' }],
    ['hints that are an array', { ...base, hints: ['k'] }],
  ])('a locator of the wrong shape (%s) is INVALID_ARGUMENT, not a TypeError', (_what, locator) => {
    expect(() => formatPeerUri(locator as unknown as PeerLocator)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => formatSturdyRef({ peer: locator as unknown as PeerLocator, swiss: SWISS_32 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it.each([
    ['null', null],
    ['a missing swiss', { peer: base }],
    ['a swiss that is a string', { peer: base, swiss: SWISS_32_TEXT }],
  ])('a sturdyref of the wrong shape (%s) is INVALID_ARGUMENT', (_what, ref) => {
    expect(() => formatSturdyRef(ref as unknown as SturdyRef)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a locator without hints formats as one with null hints', () => {
    const { hints: _none, ...bare } = base;
    expect(formatPeerUri(bare as PeerLocator)).toBe(formatPeerUri(base));
  });

  it('an empty swiss number', () => {
    expect(() => formatSturdyRef({ peer: base, swiss: new Uint8Array(0) })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
