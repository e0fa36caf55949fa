import { fakeRelay } from './fake-relay.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webrtcNetlayer, type DirectPathRefusal, type WebRtcOptions } from '../../../src/netlayer/webrtc/netlayer.js';
import { sdpStatement, type SignedSdp } from '../../../src/netlayer/webrtc/signals.js';
import { testSigner } from '../../crypto/test-signer.js';
import type { DesignatorSigner } from '../../../src/crypto/signer.js';
import type { FromBroker, ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';
import type { Connection } from '../../../src/netlayer/types.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { RelayConnection } from '../../../src/netlayer/relay/connection.js';
import type { RelayCircuit } from '../../../src/netlayer/relay/circuit.js';
import type { E2eChannel } from '../../../src/netlayer/relay/e2e.js';
import { designatorOf, keyPairFromSecret, sign } from '../../../src/crypto/index.js';
import { encode } from '../../../src/syrup/index.js';
import { SyrupRecord, Sym } from '../../../src/syrup/types.js';

/**
 * The WebRTC netlayer's offer policy, driven through a fake page broker (a
 * MessagePort-like that answers `accept`s) and a fake relay client (signals
 * in and out). "Built" peer connections are the broker's `dial`/`accept`
 * requests; "answers" are the `rtc-answer` signals we sent.
 */

const NOW = 1_800_000_000_000;

interface Who {
  readonly designator: string;
  readonly sign: (m: Uint8Array) => Uint8Array;
  readonly signer: DesignatorSigner;
}

/** A signed description payload, signed synchronously (the netlayer signs through its async signer). */
function signedSdp(s: SignedSdp, signBytes: (m: Uint8Array) => Uint8Array): Uint8Array {
  const body = sdpStatement(s);
  return encode([body, signBytes(encode(body))]);
}

/** A deterministic identity: the secret key is `seed` repeated. */
function who(seed: number): Who {
  const keys = keyPairFromSecret(new Uint8Array(32).fill(seed));
  return { designator: designatorOf(keys.publicKey), sign: (m) => sign(keys.secretKey, m), signer: testSigner(keys) };
}

let dialCounter = 0;
function dialId(): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, ++dialCounter);
  return id;
}

/** A fake data channel the test opens by hand. */
function fakeChannel() {
  const listeners = new Map<string, (() => void)[]>();
  const channel = {
    readyState: 'connecting' as 'connecting' | 'open' | 'closing' | 'closed',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    binaryType: 'arraybuffer',
    send() {},
    close() {
      channel.readyState = 'closed';
    },
    addEventListener(type: string, l: () => void) {
      listeners.set(type, [...(listeners.get(type) ?? []), l]);
    },
    open() {
      channel.readyState = 'open';
      for (const l of listeners.get('open') ?? []) l();
    },
  };
  return channel;
}

async function setup(options: Partial<WebRtcOptions> = {}) {
  const me = who(1);
  const toBroker: ToBroker[] = [];
  const refusals: DirectPathRefusal[] = [];
  const inbound: Connection[] = [];
  const channels = new Map<number, ReturnType<typeof fakeChannel>>();
  const fake = fakeRelay(me.designator);
  const { relay, sent, peers: relayPeers, deliver: onSignal } = fake;

  const broker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage(m: ToBroker) {
      toBroker.push(m);
      const reply = (r: FromBroker): void => broker.onmessage?.({ data: r } as MessageEvent);
      if (m.type === 'accept') {
        // The page builds a peer connection, receives the channel and reports its answer.
        queueMicrotask(() => {
          const channel = fakeChannel();
          channels.set(m.id, channel);
          reply({ type: 'channel', id: m.id, channel: channel as unknown as RTCDataChannel });
          reply({ type: 'local', id: m.id, sdp: `answer-${m.id}` });
        });
      }
    },
  };

  const net = webrtcNetlayer({ relay, broker, timeoutMs: 5_000, onRefused: (r) => void refusals.push(r), ...options });
  await net.attach({ designator: me.designator, signer: me.signer, onConnection: (c) => void inbound.push(c) });

  /** A signed offer from `from` to us (fields overridable). */
  const offer = (from: Who, fields: Partial<SignedSdp> = {}): Uint8Array =>
    signedSdp({ role: 'offer', from: from.designator, to: me.designator, dialId: dialId(), sentAt: Date.now(), sdp: 'offer-sdp', ...fields }, from.sign);
  /** The relay delivers `payload` as a signal from `from`; lets the fake broker run. */
  const deliver = async (from: Who, payload: Uint8Array, kind = 'rtc-offer'): Promise<void> => {
    onSignal({ from: from.designator, kind, payload });
    await vi.advanceTimersByTimeAsync(0);
  };
  const built = (): number => toBroker.filter((m) => m.type === 'accept' || m.type === 'dial').length;
  const answersTo = (peer: Who): number => sent.filter((s) => s.kind === 'rtc-answer' && s.to === peer.designator).length;
  const codes = (): string[] => refusals.map((r) => `${r.code}:${r.limit ?? ''}`);
  /** A relay connection with `peer` on circuit `circuitId` (fake circuit and end-to-end channel). */
  const relayConnection = (peer: string, circuitId: number, remoteLocator?: PeerLocator): RelayConnection => {
    const circuit = { id: circuitId, peer, send() {}, close() {} } as unknown as RelayCircuit;
    const channel = { seal: () => [], openRecords: () => [] } as unknown as E2eChannel;
    return new RelayConnection({ transport: 'relay', outbound: remoteLocator !== undefined, remoteLocator, peer, circuit, channel, onEnded() {} });
  };
  /** The relay netlayer accepts a circuit from `peer` (relay circuit id `circuitId`): an inbound relay connection. */
  const relayInbound = (peer: Who, circuitId: number): void => fake.binding().onConnection(relayConnection(peer.designator, circuitId));
  /** Our relay dials succeed, on circuit `circuitId`. */
  const relayDials = (circuitId: number): void => {
    fake.connect = async (locator) => relayConnection(locator.designator, circuitId, locator);
  };
  return { me, net, toBroker, sent, refusals, inbound, relayPeers, channels, offer, deliver, built, answersTo, codes, relayInbound, relayDials };
}

describe('WebRTC offer policy (fake broker, fake relay)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
    dialCounter = 0;
  });
  afterEach(() => void vi.useRealTimers());

  it('caps an offer flood from one stranger: the broker builds at most maxPendingOffersPerPeer peer connections and the rest get no answer', async () => {
    const t = await setup();
    const mallory = who(66);
    for (let i = 0; i < 50; i++) await t.deliver(mallory, t.offer(mallory));
    expect(t.built()).toBe(2);
    expect(t.answersTo(mallory)).toBe(2);
    expect(t.refusals).toHaveLength(48);
    // The first 12 (the bucket) met the pending cap; the rest found the bucket empty.
    expect(t.codes().filter((c) => c === 'OFFER_REFUSED:maxPendingOffersPerPeer')).toHaveLength(10);
    expect(t.codes().filter((c) => c === 'OFFER_REFUSED:offersPerPeerPerMinute')).toHaveLength(38);
    // The two time out and close; 5 s gave the flooder's bucket one token back, so one more is built.
    await vi.advanceTimersByTimeAsync(5_000);
    for (let i = 0; i < 50; i++) await t.deliver(mallory, t.offer(mallory));
    expect(t.built()).toBe(3);
    expect(t.answersTo(mallory)).toBe(3);
  });

  it('caps a flood from many strangers in total (maxPendingOffers), and counts every peer connection against maxPeerConnections', async () => {
    const t = await setup();
    for (let i = 0; i < 40; i++) {
      const stranger = who(100 + i);
      await t.deliver(stranger, t.offer(stranger));
    }
    expect(t.built()).toBe(16);
    expect(t.refusals).toHaveLength(24);
    expect(new Set(t.codes())).toEqual(new Set(['OFFER_REFUSED:maxPendingOffers']));

    const u = await setup({ maxPendingOffers: 100, maxPeerConnections: 10 });
    for (let i = 0; i < 40; i++) {
      const stranger = who(100 + i);
      await u.deliver(stranger, u.offer(stranger));
    }
    expect(u.built()).toBe(10);
    expect(new Set(u.codes())).toEqual(new Set(['OFFER_REFUSED:maxPeerConnections']));
  });

  it('limits the offer rate of many strangers together (offersPerMinute) and refills with time', async () => {
    const t = await setup({ offersPerMinute: 6 });
    let n = 0;
    const fromNewStranger = async (): Promise<void> => {
      const s = who(100 + n++);
      await t.deliver(s, t.offer(s));
    };
    for (let i = 0; i < 10; i++) await fromNewStranger();
    expect(t.built()).toBe(6);
    expect(t.codes().filter((c) => c === 'OFFER_REFUSED:offersPerMinute')).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(10_000); // one token back
    await fromNewStranger();
    await fromNewStranger();
    expect(t.built()).toBe(7);
  });

  it('refuses a replayed offer (same dial id) within the window, even after the first exchange ended', async () => {
    const t = await setup();
    const bob = who(2);
    const payload = t.offer(bob);
    await t.deliver(bob, payload);
    expect(t.built()).toBe(1);
    await t.deliver(bob, payload);
    expect(t.built()).toBe(1);
    expect(t.refusals.at(-1)).toMatchObject({ peer: bob.designator, role: 'offer', code: 'OFFER_REPLAYED' });
    await vi.advanceTimersByTimeAsync(30_000); // the first exchange timed out; the id is still remembered
    await t.deliver(bob, payload);
    expect(t.built()).toBe(1);
    expect(t.refusals.at(-1)?.code).toBe('OFFER_REPLAYED');
    await vi.advanceTimersByTimeAsync(31_000); // past the window: now stale, still not answered
    await t.deliver(bob, payload);
    expect(t.built()).toBe(1);
    expect(t.refusals.at(-1)?.code).toBe('OFFER_STALE');
    expect(t.answersTo(bob)).toBe(1);
  });

  it('refuses stale and far-future offers (offerWindowMs), allowing clock skew within it', async () => {
    const t = await setup({ offerWindowMs: 60_000 });
    const bob = who(2);
    await t.deliver(bob, t.offer(bob, { sentAt: NOW - 61_000 }));
    await t.deliver(bob, t.offer(bob, { sentAt: NOW + 61_000 }));
    expect(t.built()).toBe(0);
    expect(t.codes()).toEqual(['OFFER_STALE:offerWindowMs', 'OFFER_STALE:offerWindowMs']);
    await t.deliver(bob, t.offer(bob, { sentAt: NOW - 59_000 }));
    await t.deliver(bob, t.offer(bob, { sentAt: NOW + 59_000 }));
    expect(t.built()).toBe(2);
    expect(t.answersTo(bob)).toBe(2);
  });

  it('refuses a version-1 signed offer (no sent-at) with PROTOCOL', async () => {
    const t = await setup();
    const bob = who(2);
    const body = new SyrupRecord(new Sym('capmesh-rtc-sdp'), [new Sym('offer'), bob.designator, t.me.designator, dialId(), 'offer-sdp']);
    await t.deliver(bob, encode([body, bob.sign(encode(body))]));
    expect(t.built()).toBe(0);
    expect(t.refusals).toMatchObject([{ code: 'PROTOCOL', role: 'offer' }]);
  });

  it("answerPolicy 'known' drops strangers' offers unanswered but answers a peer with a relay connection, an allow-listed peer, and a peer we are dialling", async () => {
    const carol = who(3);
    const t = await setup({ answerPolicy: 'known', isKnownPeer: (d) => d === carol.designator });
    const mallory = who(66);
    const bob = who(2);
    await t.deliver(mallory, t.offer(mallory));
    await t.deliver(bob, t.offer(bob));
    expect(t.built()).toBe(0);
    expect(t.sent).toEqual([]);
    expect(t.codes()).toEqual(['OFFER_REFUSED:answerPolicy', 'OFFER_REFUSED:answerPolicy']);

    t.relayPeers.push({ peer: bob.designator }); // Bob now has a live relay-path connection with us
    await t.deliver(bob, t.offer(bob));
    await t.deliver(carol, t.offer(carol));
    expect(t.answersTo(bob)).toBe(1);
    expect(t.answersTo(carol)).toBe(1);

    // A dial of ours in progress makes Dave known (crossed dials).
    const dave = who(4);
    void t.net.connect({ transport: 'relay', designator: dave.designator, hints: {} }).catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    await t.deliver(dave, t.offer(dave));
    expect(t.answersTo(dave)).toBe(1);
    await t.deliver(mallory, t.offer(mallory));
    expect(t.answersTo(mallory)).toBe(0);
  });

  it('a legitimate peer still gets through during and after a flood', async () => {
    const t = await setup();
    const mallory = who(66);
    const bob = who(2);
    for (let i = 0; i < 30; i++) await t.deliver(mallory, t.offer(mallory));
    // During: the per-peer cap keeps Mallory from taking every slot.
    await t.deliver(bob, t.offer(bob));
    expect(t.answersTo(bob)).toBe(1);
    const bobsAccept = t.toBroker.filter((m) => m.type === 'accept').at(-1)!;
    t.channels.get(bobsAccept.id)!.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.inbound).toHaveLength(1);
    // After: Mallory's exchanges time out and are closed; a new call from Bob is answered too.
    await vi.advanceTimersByTimeAsync(5_000);
    const mallorysAccepts = t.toBroker.filter((m) => m.type === 'accept' && m.id !== bobsAccept.id).map((m) => m.id);
    const closed = new Set(t.toBroker.filter((m) => m.type === 'close').map((m) => m.id));
    expect(closed).toEqual(new Set(mallorysAccepts));
    expect(mallorysAccepts).toHaveLength(2);
    await t.deliver(bob, t.offer(bob));
    expect(t.answersTo(bob)).toBe(2);
    expect(t.answersTo(mallory)).toBe(2);
  });

  it('ignores an answer for no dial of ours before checking its signature', async () => {
    const t = await setup();
    const bob = who(2);
    const answer = signedSdp({ role: 'answer', from: bob.designator, to: t.me.designator, dialId: dialId(), sentAt: NOW, sdp: 'x' }, () => new Uint8Array(64));
    await t.deliver(bob, answer, 'rtc-answer');
    // A bad signature would be reported if it had been checked.
    expect(t.refusals).toEqual([]);
    expect(t.toBroker).toEqual([]);
  });

  it('an upgrade offer joins its channel to the relay connection on the circuit it names, and only from that connection’s peer', async () => {
    const changes: unknown[] = [];
    const t = await setup({ onPathChanged: (d) => void changes.push(d) });
    const bob = who(2);
    const mallory = who(66);
    t.relayInbound(bob, 7);
    expect(t.inbound).toHaveLength(1);
    const session = t.inbound[0]!;
    expect(session.path).toBe('relay');
    // Another peer naming bob's circuit, and bob naming another circuit: refused, nothing built.
    await t.deliver(mallory, t.offer(mallory, { upgrade: 7 }));
    await t.deliver(bob, t.offer(bob, { upgrade: 8 }));
    expect(t.built()).toBe(0);
    expect(t.codes()).toEqual(['PROTOCOL:', 'PROTOCOL:']);
    await t.deliver(bob, t.offer(bob, { upgrade: 7 }));
    expect(t.built()).toBe(1);
    expect(t.answersTo(bob)).toBe(1);
    const accept = t.toBroker.find((m) => m.type === 'accept')!;
    t.channels.get(accept.id)!.open();
    await vi.advanceTimersByTimeAsync(0);
    // The same session moved; no new inbound connection.
    expect(t.inbound).toHaveLength(1);
    expect(session.path).toBe('webrtc');
    expect(changes).toEqual([{ designator: bob.designator, from: 'relay', to: 'webrtc' }]);
  });

  it('leaves inbound relay connections plain with directPaths: false', async () => {
    const t = await setup({ directPaths: false });
    t.relayInbound(who(2), 7);
    expect(t.inbound[0]).toBeInstanceOf(RelayConnection);
  });

  it('keeps trying the direct path in the background for a dialled relay-path connection: after 1 s, then doubling, at most maxDirectRetries times', async () => {
    const t = await setup({ timeoutMs: 100, maxDirectRetries: 3 });
    t.relayDials(9);
    const bob = who(2);
    const dials = (): number => t.toBroker.filter((m) => m.type === 'dial').length;
    const connecting = t.net.connect({ transport: 'relay', designator: bob.designator, hints: { url: 'ws://relay.test' } } as PeerLocator);
    await vi.advanceTimersByTimeAsync(100); // the first direct attempt gets no answer in time
    const connection = await connecting;
    expect(connection.path).toBe('relay');
    expect(dials()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(dials()).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 1 s after the fall to the relay
    expect(dials()).toBe(2);
    await vi.advanceTimersByTimeAsync(100 + 2_000); // that one timed out; the next 2 s later
    expect(dials()).toBe(3);
    await vi.advanceTimersByTimeAsync(100 + 4_000);
    expect(dials()).toBe(4);
    await vi.advanceTimersByTimeAsync(60_000); // maxDirectRetries reached
    expect(dials()).toBe(4);
  });

  it('stops the background direct attempts when the connection ends', async () => {
    const t = await setup({ timeoutMs: 100 });
    t.relayDials(9);
    const connecting = t.net.connect({ transport: 'relay', designator: who(2).designator, hints: { url: 'ws://relay.test' } } as PeerLocator);
    await vi.advanceTimersByTimeAsync(100);
    (await connecting).close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.toBroker.filter((m) => m.type === 'dial')).toHaveLength(1);
  });
});
