import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRtcBroker } from '../../src/browser/rtc-broker.js';
import type { FromBroker, ToBroker } from '../../src/netlayer/webrtc/broker-protocol.js';

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
  createDataChannel(): object {
    return {};
  }
  async setRemoteDescription(): Promise<void> {}
  async setLocalDescription(): Promise<void> {
    this.localDescription = { sdp: 'local' };
  }
  close(): void {
    this.connectionState = 'closed';
  }
}

function fakePort() {
  const out: FromBroker[] = [];
  const port = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage: (m: FromBroker) => void out.push(m),
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
});
