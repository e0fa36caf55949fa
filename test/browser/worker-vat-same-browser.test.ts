import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { bootWorkerVat } from '../../src/browser/worker-vat.js';
import type { WorkerInit, WorkerReply } from '../../src/browser/messages.js';
import { sameBrowserBroker } from '../../src/netlayer/same-browser/broker.js';

// The worker's relay client needs a WebSocket class (the relay here is never reachable: port 9).
const hadWebSocket = 'WebSocket' in globalThis;
beforeAll(() => {
  if (!hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = NodeWebSocket;
});
afterAll(() => {
  if (!hadWebSocket) delete (globalThis as { WebSocket?: unknown }).WebSocket;
});

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** Boots a worker vat in this thread; `sameBrowserPort` is the init's broker port. */
function boot(storeName: string, sameBrowserPort?: MessagePort): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: WorkerReply): void } = { onmessage: null, postMessage: resolve };
    bootWorkerVat(scope);
    const vatLink = new MessageChannel();
    const brokerLink = new MessageChannel();
    closers.push(() => (vatLink.port1.close(), brokerLink.port1.close()));
    const init: WorkerInit = {
      type: 'capmesh-init',
      relay: 'ws://127.0.0.1:9',
      storeName,
      vatPort: vatLink.port2,
      brokerPort: brokerLink.port2,
      direct: { iceServers: [], iceTransportPolicy: 'all', timeoutMs: 5_000, directPaths: false, answerPolicy: 'anyone', offerLimits: {} },
      sessionsRefreshMs: 0,
      ...(sameBrowserPort ? { sameBrowserPort } : {}),
    };
    scope.onmessage!({ data: init } as MessageEvent);
  });
}

describe('bootWorkerVat and the same-browser broker port', () => {
  it('a worker given a broker port registers its designator there before it reports ready; one without registers nothing', async () => {
    const broker = sameBrowserBroker();
    closers.push(() => broker.close());
    const { port1, port2 } = new MessageChannel();
    broker.connect(port2);
    const reply = await boot('capmesh-same-browser-worker-a', port1);
    if (reply.type !== 'capmesh-ready') throw new Error(`the worker failed: ${reply.message}`);
    expect(broker.registrations(reply.designator)).toBe(1);
    const other = await boot('capmesh-same-browser-worker-b');
    if (other.type !== 'capmesh-ready') throw new Error(`the worker failed: ${other.message}`);
    expect(broker.registrations(other.designator)).toBe(0);
  });
});
