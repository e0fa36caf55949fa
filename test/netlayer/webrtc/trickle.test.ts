import { fakeRelay } from './fake-relay.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webrtcNetlayer, type DirectPathRefusal, type WebRtcOptions } from '../../../src/netlayer/webrtc/netlayer.js';
import { encodeCandidate, openCandidate, openSdp, sdpStatement, type SignedSdp } from '../../../src/netlayer/webrtc/signals.js';
import { CANDIDATE, Trickle, type CandidateRefusal } from '../../../src/netlayer/webrtc/trickle.js';
import type { FromBroker, IceCandidate, ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { designatorOf, keyPairFromSecret, sign } from '../../../src/crypto/index.js';
import { encode } from '../../../src/syrup/index.js';
import { SyrupRecord, Sym } from '../../../src/syrup/types.js';
import { isCapmeshError } from '../../../src/util/errors.js';
import { testSigner } from '../../crypto/test-signer.js';

/**
 * Trickle ICE: candidates go out after our signed description and reach the
 * broker after the remote one, in order, within the candidate limits
 * (`maxCandidatesPerConnection`, `maxCandidateBytes`); the unsigned candidate
 * signal's codec.
 */

const host = (n: number): IceCandidate => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${40000 + n} typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 });
const END: IceCandidate = { candidate: '', sdpMid: null, sdpMLineIndex: null };
const DIAL = new Uint8Array(16).fill(7);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isCapmeshError(e) ? e.code : 'NOT_CAPMESH';
  }
  return 'NO_THROW';
}

describe('trickled candidate signals', () => {
  it('round-trip a candidate and the end-of-candidates marker', () => {
    const c = { dialId: DIAL, ...host(1) };
    expect(openCandidate(encodeCandidate(c), 1_024)).toEqual(c);
    expect(openCandidate(encodeCandidate({ dialId: DIAL, ...END }), 1_024)).toEqual({ dialId: DIAL, ...END });
  });

  it('refuse one over maxCandidateBytes (CANDIDATE_REFUSED) before decoding it', () => {
    const long = encodeCandidate({ dialId: DIAL, ...host(1), candidate: `candidate:${'x'.repeat(2_000)}` });
    expect(codeOf(() => openCandidate(long, 1_024))).toBe('CANDIDATE_REFUSED');
    // Not Syrup at all, but too long: refused for its size, never parsed.
    expect(codeOf(() => openCandidate(new Uint8Array(1_025).fill(0x5b), 1_024))).toBe('CANDIDATE_REFUSED');
  });

  it('refuse wrong shapes and lines that are not candidates (PROTOCOL)', () => {
    expect(codeOf(() => openCandidate(new Uint8Array([0xff]), 1_024))).toBe('PROTOCOL');
    expect(codeOf(() => openCandidate(encode(new SyrupRecord(new Sym('capmesh-rtc-ice-1'), [DIAL, 'candidate:1'])), 1_024))).toBe('PROTOCOL');
    expect(codeOf(() => openCandidate(encodeCandidate({ dialId: DIAL, candidate: 'a=fingerprint:sha-256 00', sdpMid: '0', sdpMLineIndex: 0 }), 1_024))).toBe('PROTOCOL');
    expect(codeOf(() => openCandidate(encode(new SyrupRecord(new Sym('capmesh-rtc-ice-1'), [DIAL, 'candidate:1', '0', -2n])), 1_024))).toBe('PROTOCOL');
  });

  it('cannot pass for a signed description (another label): the signature-checked path refuses it', async () => {
    await expect(openSdp(encodeCandidate({ dialId: DIAL, ...host(1) }), 'a', 'b', 'offer')).rejects.toMatchObject({ code: 'PROTOCOL' });
  });
});

function trickle(limits = { maxCandidatesPerConnection: 4, maxCandidateBytes: 1_024 }) {
  const posted: ToBroker[] = [];
  const sent: { to: string; kind: string; candidate: string }[] = [];
  const refusals: CandidateRefusal[] = [];
  const t = new Trickle({
    post: (m) => void posted.push(m),
    send: (to, kind, payload) => void sent.push({ to, kind, candidate: openCandidate(payload, 1_024).candidate }),
    refused: (r) => void refusals.push(r),
    limits,
  });
  const from = (peer: string, c: IceCandidate, dialId = DIAL): void => t.receive(peer, encodeCandidate({ dialId, ...c }));
  const postedCandidates = (): string[] => posted.flatMap((m) => (m.type === 'candidate' ? [m.candidate.candidate] : []));
  return { t, posted, sent, refusals, from, postedCandidates };
}

describe('Trickle', () => {
  it('holds our candidates until our description went out, then sends them in order', () => {
    const k = trickle();
    k.t.begin(1, 'bob', DIAL);
    k.t.local(1, host(1));
    k.t.local(1, host(2));
    expect(k.sent).toEqual([]);
    k.t.described(1);
    k.t.local(1, END);
    expect(k.sent.map((s) => [s.to, s.kind, s.candidate])).toEqual([
      ['bob', CANDIDATE, host(1).candidate],
      ['bob', CANDIDATE, host(2).candidate],
      ['bob', CANDIDATE, ''],
    ]);
  });

  it("holds the peer's candidates until the remote description reached the broker, then posts them in order", () => {
    const k = trickle();
    k.t.begin(3, 'bob', DIAL);
    k.from('bob', host(1));
    expect(k.posted).toEqual([]);
    k.t.remoteApplied(3);
    k.from('bob', host(2));
    k.from('bob', END);
    expect(k.posted.every((m) => m.type === 'candidate' && m.id === 3)).toBe(true);
    expect(k.postedCandidates()).toEqual([host(1).candidate, host(2).candidate, '']);
  });

  it('takes at most maxCandidatesPerConnection from the peer and reports the excess once (CANDIDATE_REFUSED)', () => {
    const k = trickle();
    k.t.begin(1, 'mallory', DIAL);
    k.t.remoteApplied(1);
    for (let i = 0; i < 100; i++) k.from('mallory', host(i));
    expect(k.postedCandidates()).toHaveLength(4);
    expect(k.refusals).toEqual([expect.objectContaining({ peer: 'mallory', code: 'CANDIDATE_REFUSED', limit: 'maxCandidatesPerConnection' })]);
  });

  it('holds at most maxCandidatesPerConnection early ones either way (nothing unbounded before the descriptions)', () => {
    const k = trickle();
    k.t.begin(1, 'mallory', DIAL);
    for (let i = 0; i < 100; i++) {
      k.from('mallory', host(i));
      k.t.local(1, host(i));
    }
    k.t.remoteApplied(1);
    k.t.described(1);
    expect(k.postedCandidates()).toHaveLength(4);
    expect(k.sent).toHaveLength(4);
  });

  it('reports an oversized or malformed candidate from a peer with a dial being set up, once; drops it silently from anyone else', () => {
    const k = trickle({ maxCandidatesPerConnection: 4, maxCandidateBytes: 200 });
    k.t.begin(1, 'mallory', DIAL);
    k.t.remoteApplied(1);
    const big = encodeCandidate({ dialId: DIAL, ...host(1), candidate: `candidate:${'x'.repeat(300)}` });
    k.t.receive('mallory', big);
    k.t.receive('mallory', big);
    k.t.receive('stranger', big);
    k.t.receive('stranger', new Uint8Array([1, 2, 3]));
    expect(k.refusals).toEqual([expect.objectContaining({ peer: 'mallory', code: 'CANDIDATE_REFUSED', limit: 'maxCandidateBytes' })]);
    const m = trickle();
    m.t.begin(1, 'mallory', DIAL);
    m.t.receive('mallory', new Uint8Array([1, 2, 3]));
    expect(m.refusals).toEqual([expect.objectContaining({ code: 'PROTOCOL' })]);
    expect(k.posted).toEqual([]);
  });

  it('routes by sender and dial id: another dial id, or the right one from another sender, goes nowhere', () => {
    const k = trickle();
    k.t.begin(1, 'bob', DIAL);
    k.t.remoteApplied(1);
    k.from('bob', host(1), new Uint8Array(16).fill(8));
    k.from('carol', host(2));
    expect(k.posted).toEqual([]);
    k.from('bob', host(3));
    expect(k.postedCandidates()).toEqual([host(3).candidate]);
  });

  it('drops everything for a dial once it ended (channel open or setup over)', () => {
    const k = trickle();
    k.t.begin(1, 'bob', DIAL);
    k.t.remoteApplied(1);
    k.t.described(1);
    k.t.end(1);
    k.from('bob', host(1));
    k.t.local(1, host(2));
    expect(k.posted).toEqual([]);
    expect(k.sent).toEqual([]);
    expect(k.t.size).toBe(0);
  });
});

// ---- through the netlayer, with a fake page broker and a fake relay client ----

const NOW = 1_800_000_000_000;

function who(seed: number) {
  const keys = keyPairFromSecret(new Uint8Array(32).fill(seed));
  return { designator: designatorOf(keys.publicKey), sign: (m: Uint8Array) => sign(keys.secretKey, m), signer: testSigner(keys) };
}

function signedSdp(s: SignedSdp, signBytes: (m: Uint8Array) => Uint8Array): Uint8Array {
  const body = sdpStatement(s);
  return encode([body, signBytes(encode(body))]);
}

async function netSetup(options: Partial<WebRtcOptions> = {}) {
  const me = who(1);
  const toBroker: ToBroker[] = [];
  const refusals: DirectPathRefusal[] = [];
  const { relay, sent, deliver: onSignal } = fakeRelay(me.designator);
  const broker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage(m: ToBroker) {
      toBroker.push(m);
    },
  };
  /** The page's broker reports `r` to the worker. */
  const reply = (r: FromBroker): void => broker.onmessage?.({ data: r } as MessageEvent);
  const net = webrtcNetlayer({ relay, broker, timeoutMs: 5_000, onRefused: (r) => void refusals.push(r), ...options });
  await net.attach({ designator: me.designator, signer: me.signer, onConnection: () => {} });
  /** The relay delivers a signal; nothing else runs until the caller awaits. */
  const signalNow = (from: string, kind: string, payload: Uint8Array): void => onSignal({ from, kind, payload });
  const deliver = async (from: string, kind: string, payload: Uint8Array): Promise<void> => {
    onSignal({ from, kind, payload });
    await vi.advanceTimersByTimeAsync(0);
  };
  /** What went out through the relay: kind, and the candidate line for candidates. */
  const signals = (): string[] => sent.map((s) => (s.kind === CANDIDATE ? `${s.kind}:${openCandidate(s.payload, 1_024).candidate.split(' ')[0]}` : s.kind));
  /** What the broker was asked: type, and the candidate line's first word for candidates. */
  const asked = (): string[] => toBroker.map((m) => (m.type === 'candidate' ? `candidate:${m.candidate.candidate.split(' ')[0]}` : m.type));
  return { me, net, toBroker, sent, refusals, reply, signalNow, deliver, signals, asked };
}

describe('WebRTC netlayer with trickle ICE (fake broker, fake relay)', () => {
  beforeEach(() => void vi.useFakeTimers({ now: NOW }));
  afterEach(() => void vi.useRealTimers());

  it('answers an offer at once, sends our candidates after the signed answer, and passes the peer’s to the broker after the offer', async () => {
    const t = await netSetup();
    const bob = who(2);
    const dialId = new Uint8Array(16).fill(3);
    const offer = signedSdp({ role: 'offer', from: bob.designator, to: t.me.designator, dialId, sentAt: NOW, sdp: 'offer-sdp' }, bob.sign);
    await t.deliver(bob.designator, 'rtc-offer', offer);
    await t.deliver(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...host(1) }));
    const id = t.toBroker[0]!.id;
    // The broker gathers one candidate before our answer is out (held), one after, then ends.
    t.reply({ type: 'candidate', id, candidate: host(10) });
    t.reply({ type: 'local', id, sdp: 'answer-sdp' });
    t.reply({ type: 'candidate', id, candidate: host(11) });
    t.reply({ type: 'candidate', id, candidate: END });
    await vi.advanceTimersByTimeAsync(0);
    await t.deliver(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...END }));
    expect(t.asked()).toEqual(['accept', 'candidate:candidate:1', 'candidate:']);
    expect(t.signals()).toEqual(['rtc-answer', 'rtc-candidate:candidate:10', 'rtc-candidate:candidate:11', 'rtc-candidate:']);
    const answer = await openSdp(t.sent[0]!.payload, t.me.designator, bob.designator, 'answer');
    expect(answer.sdp).toBe('answer-sdp');
  });

  it('dials: the offer goes out as soon as the broker has it, candidates after it; the answer’s candidates reach the broker after the answer even when they arrive in the same turn', async () => {
    const t = await netSetup();
    const bob = who(2);
    const connecting = t.net.connect({ transport: 'relay', designator: bob.designator, hints: { url: 'ws://relay.test' } } as PeerLocator).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    const id = t.toBroker[0]!.id;
    expect(t.toBroker[0]!.type).toBe('dial');
    t.reply({ type: 'local', id, sdp: 'offer-sdp' });
    t.reply({ type: 'candidate', id, candidate: host(20) });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.signals()).toEqual(['rtc-offer', 'rtc-candidate:candidate:20']);
    const offer = await openSdp(t.sent[0]!.payload, t.me.designator, bob.designator, 'offer');
    // The answer and a candidate arrive back to back, before the netlayer's continuation runs.
    const answer = signedSdp({ role: 'answer', from: bob.designator, to: t.me.designator, dialId: offer.dialId, sentAt: NOW, sdp: 'answer-sdp' }, bob.sign);
    t.signalNow(bob.designator, 'rtc-answer', answer);
    t.signalNow(bob.designator, CANDIDATE, encodeCandidate({ dialId: offer.dialId, ...host(30) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked()).toEqual(['dial', 'remote', 'candidate:candidate:30']);
    // No channel opens here: the dial gives up at its deadline (and the fake relay path fails too).
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await connecting).toBeInstanceOf(Error);
  });

  it('an offer and its candidates in one turn: the candidates wait for the offer’s (asynchronous) signature check instead of finding no dial and being dropped', async () => {
    const t = await netSetup();
    const bob = who(2);
    const dialId = new Uint8Array(16).fill(6);
    t.signalNow(bob.designator, 'rtc-offer', signedSdp({ role: 'offer', from: bob.designator, to: t.me.designator, dialId, sentAt: NOW, sdp: 'offer-sdp' }, bob.sign));
    t.signalNow(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...host(1) }));
    t.signalNow(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...host(2) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.asked()).toEqual(['accept', 'candidate:candidate:1', 'candidate:candidate:2']);
  });

  it('at most 256 signals wait behind signature checks; a flood in one turn beyond that is dropped', async () => {
    const t = await netSetup({ maxCandidatesPerConnection: 1_000 });
    const bob = who(2);
    const dialId = new Uint8Array(16).fill(7);
    t.signalNow(bob.designator, 'rtc-offer', signedSdp({ role: 'offer', from: bob.designator, to: t.me.designator, dialId, sentAt: NOW, sdp: 'offer-sdp' }, bob.sign));
    for (let i = 0; i < 400; i++) t.signalNow(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...host(i) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.toBroker.filter((m) => m.type === 'candidate')).toHaveLength(255);
    // Once the queue drained, signals are taken again.
    await t.deliver(bob.designator, CANDIDATE, encodeCandidate({ dialId, ...host(500) }));
    expect(t.toBroker.filter((m) => m.type === 'candidate')).toHaveLength(256);
  });

  it('reports a candidate flood once per peer connection (role candidate, CANDIDATE_REFUSED) and passes on only maxCandidatesPerConnection', async () => {
    const t = await netSetup({ maxCandidatesPerConnection: 3 });
    const mallory = who(9);
    const dialId = new Uint8Array(16).fill(4);
    await t.deliver(mallory.designator, 'rtc-offer', signedSdp({ role: 'offer', from: mallory.designator, to: t.me.designator, dialId, sentAt: NOW, sdp: 'offer-sdp' }, mallory.sign));
    for (let i = 0; i < 50; i++) await t.deliver(mallory.designator, CANDIDATE, encodeCandidate({ dialId, ...host(i) }));
    expect(t.toBroker.filter((m) => m.type === 'candidate')).toHaveLength(3);
    expect(t.refusals).toEqual([expect.objectContaining({ peer: mallory.designator, role: 'candidate', code: 'CANDIDATE_REFUSED', limit: 'maxCandidatesPerConnection' })]);
  });

  it('drops candidates for no dial being set up without a report (a stranger cannot make us hold or log anything)', async () => {
    const t = await netSetup();
    for (let i = 0; i < 20; i++) await t.deliver(who(5).designator, CANDIDATE, encodeCandidate({ dialId: DIAL, ...host(i) }));
    expect(t.toBroker).toEqual([]);
    expect(t.refusals).toEqual([]);
  });

  it('rejects bad candidate limits with INVALID_ARGUMENT', async () => {
    await expect(netSetup({ maxCandidateBytes: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
