import { fakeRelay } from './fake-relay.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webrtcNetlayer, type PathChange, type WebRtcOptions } from '../../../src/netlayer/webrtc/netlayer.js';
import { openSdp, sdpStatement, type SignedSdp } from '../../../src/netlayer/webrtc/signals.js';
import { encodeJoin } from '../../../src/netlayer/webrtc/path-join.js';
import { testSigner } from '../../crypto/test-signer.js';
import type { FromBroker, ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';
import type { Connection, ConnectionCloseReason } from '../../../src/netlayer/types.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { RelayConnection } from '../../../src/netlayer/relay/connection.js';
import type { RelayCircuit } from '../../../src/netlayer/relay/circuit.js';
import type { E2eChannel, E2eControl, E2eRecord } from '../../../src/netlayer/relay/e2e.js';
import { designatorOf, keyPairFromSecret, sign } from '../../../src/crypto/index.js';
import { encode } from '../../../src/syrup/index.js';
import { CapmeshError } from '../../../src/util/errors.js';

/**
 * Sessions born on WebRTC fall back to a relay circuit that joins them,
 * driven through a fake page broker (data channels opened and failed by hand)
 * and a fake relay (circuits whose records the test reads and writes).
 */

function who(seed: number) {
  const keys = keyPairFromSecret(new Uint8Array(32).fill(seed));
  return { designator: designatorOf(keys.publicKey), sign: (m: Uint8Array) => sign(keys.secretKey, m), signer: testSigner(keys) };
}
type Who = ReturnType<typeof who>;

const signed = (s: SignedSdp, by: Who): Uint8Array => {
  const body = sdpStatement(s);
  return encode([body, by.sign(encode(body))]);
};

function fakeChannel() {
  const listeners = new Map<string, (() => void)[]>();
  const sent: Uint8Array[] = [];
  const channel = {
    readyState: 'connecting' as 'connecting' | 'open' | 'closing' | 'closed',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    binaryType: 'arraybuffer',
    sent,
    send(data: Uint8Array) {
      sent.push(new Uint8Array(data));
    },
    close() {
      channel.readyState = 'closed';
    },
    addEventListener(type: string, l: () => void) {
      listeners.set(type, [...(listeners.get(type) ?? []), l]);
    },
    emit(type: 'open' | 'closing' | 'error') {
      channel.readyState = type === 'open' ? 'open' : type === 'closing' ? 'closing' : 'closed';
      for (const l of listeners.get(type) ?? []) l();
    },
    /** A channel message from the peer. */
    receive(bytes: Uint8Array) {
      for (const l of listeners.get('message') ?? []) (l as (e: { data: ArrayBuffer }) => void)({ data: bytes.slice().buffer });
    },
  };
  return channel;
}

/** A relay circuit whose sealed records the test reads (`out`) and whose arriving records it writes (`feed`). */
function fakeCircuit(peer: string, id: number, remoteLocator?: PeerLocator) {
  const out: (Uint8Array | E2eControl)[] = [];
  const closedWith: string[] = [];
  const frames = new Map<Uint8Array, E2eRecord[]>();
  const circuit = { id, peer, send() {}, close: (why: string) => void closedWith.push(why) } as unknown as RelayCircuit;
  const channel = { seal: (batch: readonly (Uint8Array | E2eControl)[]) => (out.push(...batch), []), openRecords: (f: Uint8Array) => frames.get(f) ?? [] } as unknown as E2eChannel;
  const connection = new RelayConnection({ transport: 'relay', outbound: remoteLocator !== undefined, remoteLocator, peer, circuit, channel, onEnded() {} });
  const feed = (records: E2eRecord[]): void => {
    const frame = new Uint8Array(1);
    frames.set(frame, records);
    connection.frame(frame);
  };
  return { connection, out, closedWith, feed };
}

async function setup(options: Partial<WebRtcOptions> = {}) {
  const me = who(1);
  const bob = who(2);
  const toBroker: ToBroker[] = [];
  const inbound: Connection[] = [];
  const changes: PathChange[] = [];
  const channels = new Map<number, ReturnType<typeof fakeChannel>>();
  const fake = fakeRelay(me.designator);
  const { relay, sent, deliver: onSignal } = fake;
  fake.connect = async () => {
    throw new CapmeshError('PEER_OFFLINE', 'the peer is not registered at the relay');
  };
  const broker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage(m: ToBroker) {
      toBroker.push(m);
      const reply = (r: FromBroker): void => broker.onmessage?.({ data: r } as MessageEvent);
      if (m.type === 'accept' || m.type === 'dial') {
        queueMicrotask(() => {
          const channel = fakeChannel();
          channels.set(m.id, channel);
          reply({ type: 'channel', id: m.id, channel: channel as unknown as RTCDataChannel });
          reply({ type: 'local', id: m.id, sdp: `${m.type}-${m.id}` });
        });
      }
    },
  };
  const net = webrtcNetlayer({ relay, broker, timeoutMs: 1_000, relayJoinTimeoutMs: 3_000, onPathChanged: (d) => void changes.push(d), ...options });
  await net.attach({ designator: me.designator, signer: me.signer, onConnection: (c) => void inbound.push(c) });
  const bobLocator = { transport: 'relay', designator: bob.designator, hints: { url: 'ws://relay.test' } } as PeerLocator;

  /** Bob offers a direct path (dial id `dialId`); we answer; the channel opens: our inbound session, born on WebRTC. */
  const bornInbound = async (dialId: Uint8Array) => {
    onSignal({ from: bob.designator, kind: 'rtc-offer', payload: signed({ role: 'offer', from: bob.designator, to: me.designator, dialId, sentAt: Date.now(), sdp: 'o' }, bob) });
    await vi.advanceTimersByTimeAsync(0);
    const accept = toBroker.find((m) => m.type === 'accept')!;
    const channel = channels.get(accept.id)!;
    channel.emit('open');
    await vi.advanceTimersByTimeAsync(0);
    return { session: inbound[inbound.length - 1]!, channel };
  };
  /** We dial Bob; he answers; the channel opens: our outbound session, born on WebRTC, and the dial id we chose. */
  const bornOutbound = async () => {
    const connecting = net.connect(bobLocator);
    await vi.advanceTimersByTimeAsync(0);
    const offer = await openSdp(sent.find((s) => s.kind === 'rtc-offer')!.payload, me.designator, bob.designator, 'offer');
    onSignal({ from: bob.designator, kind: 'rtc-answer', payload: signed({ role: 'answer', from: bob.designator, to: me.designator, dialId: offer.dialId, sentAt: Date.now(), sdp: 'a' }, bob) });
    await vi.advanceTimersByTimeAsync(0);
    const dial = toBroker.find((m) => m.type === 'dial')!;
    const channel = channels.get(dial.id)!;
    channel.emit('open');
    const session = await connecting;
    return { session, channel, dialId: offer.dialId };
  };
  const relayInbound = (circuitId: number) => {
    const c = fakeCircuit(bob.designator, circuitId);
    fake.binding().onConnection(c.connection);
    return c;
  };
  const relayDials = () => {
    const made: ReturnType<typeof fakeCircuit>[] = [];
    fake.connect = async (locator) => {
      const c = fakeCircuit(locator.designator, 9, locator);
      made.push(c);
      return c.connection;
    };
    return made;
  };
  /** The relay bounces every signal to Bob sent so far: he is not registered. */
  const bobGone = (): void => {
    for (const s of sent.filter((x) => x.to === bob.designator)) fake.bounce({ to: s.to, kind: s.kind, reason: 'not registered' });
  };
  return { me, bob, net, inbound, changes, toBroker, sent, bobGone, bornInbound, bornOutbound, relayInbound, relayDials };
}

function watch(session: Connection) {
  const got: string[] = [];
  const w: { got: string[]; closed?: ConnectionCloseReason } = { got };
  session.setReceiver({ message: (b) => void got.push(new TextDecoder().decode(b)), closed: (r) => void (w.closed = r) });
  return w;
}

const ID = (n: number): Uint8Array => new Uint8Array(16).fill(n);
const data = (s: string): E2eRecord => ({ control: false, bytes: new TextEncoder().encode(s) });
const control = (bytes: Uint8Array): E2eRecord => ({ control: true, bytes });
const startAt = (n: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, n);
const ackOf = (n: number): Uint8Array => Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, n);

describe('webrtcNetlayer: sessions born on WebRTC fall back to a joined relay circuit', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_800_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('the answerer attaches a relay circuit whose join names the session’s dial id, and the session goes on there', async () => {
    const t = await setup();
    const { session, channel } = await t.bornInbound(ID(5));
    const w = watch(session);
    expect(session.path).toBe('webrtc');
    session.send(new TextEncoder().encode('m0'));
    channel.emit('error'); // the direct path fails: no goodbye
    await vi.advanceTimersByTimeAsync(0);
    expect(w.closed).toBeUndefined();
    const c = t.relayInbound(7);
    c.feed([control(encodeJoin(ID(5))), control(ackOf(0)), control(startAt(0)), data('b0')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.inbound).toHaveLength(1); // no new session
    expect(session.path).toBe('relay');
    expect(w.got).toEqual(['b0']);
    expect(t.changes).toEqual([{ designator: t.bob.designator, from: 'webrtc', to: 'relay' }]);
    // Our side resumed from its first unacknowledged message.
    const out = c.out.map((r) => (r instanceof Uint8Array ? new TextDecoder().decode(r) : Array.from(r.control).join(',')));
    expect(out).toEqual([Array.from(ackOf(0)).join(','), Array.from(startAt(0)).join(','), 'm0']);
    expect(c.closedWith).toEqual([]);
  });

  it('refuses a join naming another connection (PROTOCOL) and leaves the session as it was', async () => {
    const t = await setup();
    const { session, channel } = await t.bornInbound(ID(5));
    const w = watch(session);
    channel.emit('error');
    const c = t.relayInbound(7);
    c.feed([control(encodeJoin(ID(6)))]);
    await vi.advanceTimersByTimeAsync(0);
    expect(c.closedWith).toEqual(['PROTOCOL: the join names no live connection with this peer']);
    expect(t.inbound).toHaveLength(1);
    expect(w.closed).toBeUndefined();
    // The right join still gets in.
    const good = t.relayInbound(8);
    good.feed([control(encodeJoin(ID(5))), control(startAt(0)), data('b0')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.got).toEqual(['b0']);
  });

  it('a circuit from that peer on which nothing arrives is closed after relayJoinTimeoutMs, never handed to the vat', async () => {
    const t = await setup({ relayJoinTimeoutMs: 3_000 });
    const { session } = await t.bornInbound(ID(5));
    const w = watch(session);
    const c = t.relayInbound(7);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(c.closedWith).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.closedWith).toEqual(['TIMEOUT: nothing arrived on the circuit']);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.inbound).toHaveLength(1);
    expect(w.closed).toBeUndefined();
  });

  it('a circuit from the same peer that starts with a message is a new session, its first message kept', async () => {
    const t = await setup();
    await t.bornInbound(ID(5));
    const c = t.relayInbound(7);
    expect(t.inbound).toHaveLength(1);
    c.feed([data('hello'), data('again')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.inbound).toHaveLength(2);
    const w = watch(t.inbound[1]!);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.got).toEqual(['hello', 'again']);
  });

  it('a clean goodbye (the peer’s bye, then the channel closing) ends the session at once: no relay dial, no wait', async () => {
    const t = await setup();
    const made = t.relayDials();
    const { session, channel } = await t.bornOutbound();
    const w = watch(session);
    channel.receive(Uint8Array.of(3, 4, 0, 0, 0, 0, 0, 0, 0, 0)); // bye, as a data-channel control (header 3)
    channel.emit('closing');
    await vi.advanceTimersByTimeAsync(0);
    expect(w.closed).toMatchObject({ kind: 'remote' });
    expect(made).toHaveLength(0);
  });

  it('says bye on the channel when the session closes on purpose', async () => {
    const t = await setup();
    const { session, channel } = await t.bornOutbound();
    session.close('the vat is closing');
    expect(channel.sent.map((b) => Array.from(b))).toContainEqual([3, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('the dialler joins a relay circuit naming its dial id when the direct path fails, and resumes there', async () => {
    const t = await setup();
    const made = t.relayDials();
    const { session, channel, dialId } = await t.bornOutbound();
    const w = watch(session);
    session.send(new TextEncoder().encode('m0'));
    channel.emit('error');
    await vi.advanceTimersByTimeAsync(0);
    expect(made).toHaveLength(1);
    expect(session.path).toBe('relay');
    const out = made[0]!.out.map((r) => (r instanceof Uint8Array ? new TextDecoder().decode(r) : Array.from(r.control).join(',')));
    expect(out).toEqual([Array.from(encodeJoin(dialId)).join(','), Array.from(ackOf(0)).join(','), Array.from(startAt(0)).join(','), 'm0']);
    expect(w.closed).toBeUndefined();
    expect(t.changes).toEqual([{ designator: t.bob.designator, from: 'webrtc', to: 'relay' }]);
  });

  it('ends with DISCONNECTED (saying the peer is gone, no code in the text) when the peer is gone and the relay dial is refused', async () => {
    const t = await setup();
    const { session, channel } = await t.bornOutbound();
    const w = watch(session);
    channel.emit('error');
    await vi.advanceTimersByTimeAsync(0);
    expect(w.closed).toMatchObject({ kind: 'error', code: 'DISCONNECTED' });
    expect(w.closed?.message).toContain('the peer is gone (the peer is not registered at the relay)');
    expect(w.closed?.message).not.toMatch(/[A-Z_]{6,}:/);
  });

  it('the answerer asks the relay at once, after 250 and 500 ms more, then every pathProbeMs whether the peer is still there, and ends at once when it is gone', async () => {
    const t = await setup();
    const probes = (): number => t.sent.filter((s) => s.kind === 'path-probe').length;
    const first = await t.bornInbound(ID(5));
    const w = watch(first.session);
    first.channel.emit('error');
    await vi.advanceTimersByTimeAsync(0);
    expect(probes()).toBe(1);
    await vi.advanceTimersByTimeAsync(249);
    expect(probes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes()).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(probes()).toBe(3);
    await vi.advanceTimersByTimeAsync(999);
    expect(probes()).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes()).toBe(4);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes()).toBe(5);
    t.bobGone();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.closed).toMatchObject({ kind: 'error', code: 'DISCONNECTED' });
    expect(w.closed?.message).toContain('the peer is gone');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes()).toBe(5);
  });

  it('stops probing once a circuit joined', async () => {
    const t = await setup();
    const probes = (): number => t.sent.filter((s) => s.kind === 'path-probe').length;
    const { session, channel } = await t.bornInbound(ID(5));
    const w = watch(session);
    channel.emit('error');
    await vi.advanceTimersByTimeAsync(0);
    t.relayInbound(7).feed([control(encodeJoin(ID(5))), control(startAt(0))]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes()).toBe(1);
    expect(w.closed).toBeUndefined();
  });

  it('the answerer ends with DISCONNECTED when no circuit joins within relayJoinTimeoutMs', async () => {
    const t = await setup();
    const { session, channel } = await t.bornInbound(ID(5));
    const w = watch(session);
    channel.emit('error');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(w.closed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(w.closed).toMatchObject({ kind: 'error', code: 'DISCONNECTED' });
  });
});

describe('webrtcNetlayer: the answering side of a relay-path connection retries the direct path too', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_800_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('once the dialler’s schedule is over (so the two never offer at once), on the same schedule, with an offer naming the circuit', async () => {
    // The dialler's schedule: after 1 s and 2 s more (maxDirectRetries 2), each attempt up to 1 s: over by 3 × 1 s + 1 s.
    const t = await setup({ maxDirectRetries: 2 });
    t.relayInbound(7);
    expect(t.inbound[0]!.path).toBe('relay');
    const dials = (): number => t.toBroker.filter((m) => m.type === 'dial').length;
    await vi.advanceTimersByTimeAsync(4_000 + 999);
    expect(dials()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(dials()).toBe(1);
    const offer = t.sent.find((s) => s.kind === 'rtc-offer')!;
    expect(offer.to).toBe(t.bob.designator);
    expect((await openSdp(offer.payload, t.me.designator, t.bob.designator, 'offer')).upgrade).toBe(7);
    await vi.advanceTimersByTimeAsync(1_000 + 2_000); // no answer in time; the next 2 s later
    expect(dials()).toBe(2);
    await vi.advanceTimersByTimeAsync(120_000); // maxDirectRetries reached
    expect(dials()).toBe(2);
  });
});
