import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../../src/index.js';
import { DataChannelConnection, type DataChannelLike } from '../../../src/netlayer/webrtc/datachannel-connection.js';
import type { ConnectionCloseReason, Netlayer, NetlayerBinding } from '../../../src/netlayer/types.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { isCapmeshError } from '../../../src/util/errors.js';

/**
 * One end of a linked pair of fake data channels. Like a real one: when one
 * end calls `close()`, the other end hears `closing` at once, but `close` only
 * when the test says (a real channel's closing procedure waits for the
 * transport, e.g. buffered data or the SCTP stream reset).
 */
class LinkedChannel implements DataChannelLike {
  readyState: DataChannelLike['readyState'] = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'arraybuffer';
  other: LinkedChannel | undefined;
  private readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  send(data: ArrayBuffer | Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0));
    const to = this.other!;
    queueMicrotask(() => {
      if (to.readyState === 'open') to.fire('message', { data: bytes.buffer } as MessageEvent);
    });
  }
  close(): void {
    if (this.readyState !== 'open') return;
    this.readyState = 'closing';
    const to = this.other!;
    queueMicrotask(() => {
      if (to.readyState !== 'open') return;
      to.readyState = 'closing';
      to.fire('closing');
    });
  }
  /** The closing procedure completes on both ends. */
  finishClose(): void {
    for (const c of [this, this.other!]) {
      if (c.readyState === 'closed') continue;
      c.readyState = 'closed';
      c.fire('close');
    }
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string, event = {} as MessageEvent): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
}

function channelPair(): [LinkedChannel, LinkedChannel] {
  const a = new LinkedChannel();
  const b = new LinkedChannel();
  a.other = b;
  b.other = a;
  return [a, b];
}

describe('DataChannelConnection: a clean close by the peer', () => {
  it('ends the connection at once, at the peer\'s `closing`, after every message it sent', async () => {
    const [ours, theirs] = channelPair();
    const peerEnd = new DataChannelConnection(theirs, { outbound: false, remoteLocator: undefined, provenDesignator: 'us' });
    const connection = new DataChannelConnection(ours, { outbound: true, remoteLocator: undefined, provenDesignator: 'peer' });
    const events: string[] = [];
    let ended!: (r: ConnectionCloseReason) => void;
    const closed = new Promise<ConnectionCloseReason>((resolve) => (ended = resolve));
    connection.setReceiver({
      message: (b) => events.push(`message ${b.length}`),
      closed: (r) => {
        events.push(`closed ${r.kind}`);
        ended(r);
      },
    });
    peerEnd.setReceiver({ message: () => {}, closed: () => {} });
    peerEnd.send(new Uint8Array(3));
    peerEnd.close('goodbye');
    const reason = await closed;
    expect(reason.kind).toBe('remote');
    expect(events).toEqual(['message 3', 'closed remote']);
    // The channel's own `close` (later) changes nothing.
    ours.finishClose();
    await Promise.resolve();
    expect(events).toEqual(['message 3', 'closed remote']);
  });

  it('also ends at `close` for a channel that never says `closing`', async () => {
    const [ours] = channelPair();
    const connection = new DataChannelConnection(ours, { outbound: true, remoteLocator: undefined, provenDesignator: 'peer' });
    const closed = new Promise<ConnectionCloseReason>((resolve) => connection.setReceiver({ message: () => {}, closed: resolve }));
    ours.readyState = 'closed';
    ours.fire('close');
    expect((await closed).kind).toBe('remote');
  });
});

/** A `relay`-transport netlayer whose connections are DataChannelConnections over linked fake channels (as WebRTC gives them). */
function fakeDirectNetwork(): { netlayer: () => Netlayer; accepted: DataChannelConnection[] } {
  const bindings = new Map<string, NetlayerBinding>();
  const accepted: DataChannelConnection[] = [];
  const netlayer = (): Netlayer => {
    let me: NetlayerBinding | undefined;
    return {
      transport: 'relay',
      async attach(binding) {
        me = binding;
        bindings.set(binding.designator, binding);
        return { designator: binding.designator, hints: {} };
      },
      async connect(locator: PeerLocator) {
        const peer = bindings.get(locator.designator)!;
        const [ours, theirs] = channelPair();
        const inbound = new DataChannelConnection(theirs, { outbound: false, remoteLocator: undefined, provenDesignator: me!.designator });
        accepted.push(inbound);
        peer.onConnection(inbound);
        return new DataChannelConnection(ours, { outbound: true, remoteLocator: locator, provenDesignator: locator.designator });
      },
      async close() {
        if (me) bindings.delete(me.designator);
      },
    };
  };
  return { netlayer, accepted };
}

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

describe('a vat over data channels: the peer closes cleanly', () => {
  it('a call pending on a peer whose channel closes (no op:abort: the tab went away) breaks with DISCONNECTED at once, not after an ICE timeout', async () => {
    const { netlayer, accepted } = fakeDirectNetwork();
    const alice = await createVat({ netlayers: [netlayer()] });
    const bob = await createVat({ netlayers: [netlayer()] });
    vats.push(alice, bob);
    const uri = await bob.register(far('slow', { never: () => new Promise(() => {}), echo: (x: string) => x }));
    const slow = await alice.enliven<{ never(): Promise<never>; echo(x: string): string }>(uri);
    expect(await E(slow).echo('hi')).toBe('hi');
    const pending = E(slow).never();
    pending.catch(() => undefined);
    const start = Date.now();
    // Bob's end closes its channel without a word of CapTP (as when its worker is torn down).
    for (const c of accepted) c.close('the tab went away');
    let error: unknown;
    try {
      await pending;
    } catch (e) {
      error = e;
    }
    const elapsedMs = Date.now() - start;
    console.log(`data channel goodbye: pending call broke ${elapsedMs} ms after the peer closed`);
    expect(isCapmeshError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('DISCONNECTED');
    expect(alice.sessions()).toHaveLength(0);
    expect(elapsedMs).toBeLessThan(1000);
  });
});

describe('DataChannelConnection control messages', () => {
  it('delivers a control message in order with the messages around it, and closes with PROTOCOL on a malformed one', async () => {
    const [a, b] = channelPair();
    const alice = new DataChannelConnection(a, { outbound: true, remoteLocator: undefined, provenDesignator: 'bob' });
    const bob = new DataChannelConnection(b, { outbound: false, remoteLocator: undefined, provenDesignator: 'alice' });
    const seen: string[] = [];
    let closed: ConnectionCloseReason | undefined;
    bob.setReceiver({
      message: (m) => seen.push(`m${m[0]}`),
      control: (c) => seen.push(`c${c[0]}`),
      closed: (r) => {
        closed = r;
      },
    });
    alice.send(new Uint8Array([1]));
    alice.sendControl(new Uint8Array([2]));
    alice.send(new Uint8Array([3]));
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['m1', 'c2', 'm3']);
    expect(() => alice.sendControl(new Uint8Array(300))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const bad = new Uint8Array(301);
    bad[0] = 3;
    b.fire('message', { data: bad.buffer } as MessageEvent);
    await new Promise((r) => setTimeout(r, 0));
    expect(closed?.code).toBe('PROTOCOL');
  });
});
