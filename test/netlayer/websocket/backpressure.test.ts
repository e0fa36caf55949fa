import { describe, expect, it } from 'vitest';
import { WebSocketConnection } from '../../../src/netlayer/websocket/connection.js';
import { WS_OPEN, type WebSocketLike } from '../../../src/netlayer/websocket/websocket-like.js';

/** A socket whose send backlog the test sets by hand (a peer that does or does not read). */
class FakeSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = WS_OPEN;
  bufferedAmount = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  send(data: Uint8Array): void {
    this.bufferedAmount += data.length;
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
}

function connection(socket: FakeSocket): { connection: WebSocketConnection; drains: () => Promise<void>; drainCount: () => number } {
  const connection = new WebSocketConnection(socket, { transport: 'websocket', outbound: false, remoteLocator: undefined, onEnded: () => {}, source: '192.0.2.7' });
  let count = 0;
  let wake = (): void => {};
  connection.setReceiver({
    message: () => {},
    closed: () => {},
    drained: () => {
      count++;
      wake();
    },
  });
  return { connection, drains: () => new Promise<void>((resolve) => (wake = resolve)), drainCount: () => count };
}

describe('WebSocketConnection backpressure', () => {
  it('reports the socket backlog as bufferedBytes and calls drained as it shrinks (a WebSocket has no drain event)', async () => {
    const socket = new FakeSocket();
    const c = connection(socket);
    c.connection.send(new Uint8Array(3000));
    expect(c.connection.bufferedBytes()).toBe(3000);
    const first = c.drains();
    socket.bufferedAmount = 1000; // the peer read some
    await first;
    const second = c.drains();
    socket.bufferedAmount = 0; // and the rest
    await second;
    expect(c.connection.bufferedBytes()).toBe(0);
    expect(c.drainCount()).toBe(2);
  });

  it('names the dialler’s address as its source, inbound only', () => {
    expect(connection(new FakeSocket()).connection.source).toBe('192.0.2.7');
    const outbound = new WebSocketConnection(new FakeSocket(), {
      transport: 'websocket',
      outbound: true,
      remoteLocator: { transport: 'websocket', designator: 'x', hints: {} },
      onEnded: () => {},
      source: '192.0.2.7',
    });
    expect(outbound.source).toBeUndefined();
  });
});
