import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRtcBroker } from '../../src/browser/rtc-broker.js';
import type { FromBroker, PipeMessage, ToBroker } from '../../src/netlayer/webrtc/broker-protocol.js';

/** Just enough of `RTCPeerConnection` for the broker to build one and answer an offer. */
class FakePeerConnection extends EventTarget {
  static made = 0;
  iceGatheringState = 'complete';
  connectionState = 'new';
  localDescription: { sdp: string } | null = null;
  constructor() {
    super();
    FakePeerConnection.made++;
  }
  /** What the next `createDataChannel` returns. */
  static channel: object = {};
  createDataChannel(): object {
    return FakePeerConnection.channel;
  }
  async setRemoteDescription(): Promise<void> {}
  async setLocalDescription(): Promise<void> {
    this.localDescription = { sdp: 'local' };
  }
  close(): void {
    this.connectionState = 'closed';
  }
}

/** A data channel that is open already when the broker gets it, like one Firefox hands over in `ondatachannel`. */
class FakeChannel extends EventTarget {
  readyState = 'open';
  binaryType = 'blob';
  readonly sent: unknown[] = [];
  send(b: unknown): void {
    this.sent.push(b);
  }
  close(): void {
    this.readyState = 'closed';
  }
}

/** `untransferable`: like Firefox past the allowed moment, posting a FakeChannel in the transfer list throws DataCloneError. */
function fakePort(untransferable = false) {
  const out: FromBroker[] = [];
  const port = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage: (m: FromBroker, transfer: unknown[] = []) => {
      if (untransferable && transfer.some((t) => t instanceof FakeChannel)) throw new DOMException('RTCDataChannel is no longer transferable', 'DataCloneError');
      out.push(m);
    },
    close() {},
    send(m: ToBroker) {
      port.onmessage?.({ data: m } as MessageEvent);
    },
  };
  return { port, out };
}

describe('the page RTC broker', () => {
  beforeEach(() => {
    FakePeerConnection.made = 0;
    vi.stubGlobal('RTCPeerConnection', FakePeerConnection);
  });
  afterEach(() => void vi.unstubAllGlobals());

  it('builds at most maxPeerConnections peer connections; a request beyond gets an error and builds nothing', () => {
    const { port, out } = fakePort();
    const broker = startRtcBroker(port as unknown as MessagePort, { maxPeerConnections: 3 });
    for (let id = 1; id <= 5; id++) port.send({ type: 'accept', id, sdp: 'offer', peer: { iceServers: [] } });
    expect(FakePeerConnection.made).toBe(3);
    expect(broker.peers.size).toBe(3);
    expect(out.filter((m) => m.type === 'error').map((m) => m.id)).toEqual([4, 5]);
    // A closed one frees its place.
    port.send({ type: 'close', id: 1 });
    port.send({ type: 'accept', id: 6, sdp: 'offer', peer: { iceServers: [] } });
    expect(FakePeerConnection.made).toBe(4);
    expect([...broker.peers.keys()]).toEqual([2, 3, 6]);
  });

  it('pipes a channel it cannot transfer: one open although the channel was open already and then fired open, one close for closing and close', async () => {
    const dc = new FakeChannel();
    FakePeerConnection.channel = dc;
    const { port, out } = fakePort(true);
    const broker = startRtcBroker(port as unknown as MessagePort);
    port.send({ type: 'dial', id: 7, peer: { iceServers: [] } });
    const piped = out.find((m) => m.type === 'channel-port');
    expect(piped).toBeDefined();
    expect(out.some((m) => m.type === 'channel')).toBe(false);
    const worker = (piped as { port: MessagePort }).port;
    const frames: PipeMessage['type'][] = [];
    const closed = new Promise<void>((resolve) =>
      worker.addEventListener('message', (e: MessageEvent) => {
        const m = e.data as PipeMessage;
        frames.push(m.type);
        if (m.type === 'close') resolve();
      }),
    );
    dc.dispatchEvent(new Event('open'));
    dc.dispatchEvent(new Event('closing'));
    dc.dispatchEvent(new Event('close'));
    await closed;
    // Everything the page sent is in: a marker through the same port comes after it.
    const marker = new Promise<void>((resolve) => worker.addEventListener('message', () => resolve(), { once: true }));
    dc.dispatchEvent(new MessageEvent('message', { data: new ArrayBuffer(2) }));
    await marker;
    expect(frames).toEqual(['open', 'close', 'data']);
    expect(dc.binaryType).toBe('arraybuffer');
    worker.close();
    broker.close();
  });
});
