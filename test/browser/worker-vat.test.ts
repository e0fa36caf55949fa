import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { bootWorkerVat } from '../../src/browser/worker-vat.js';
import type { WorkerInit, WorkerReply } from '../../src/browser/messages.js';

/** Boots the worker vat in this thread with a fake worker scope; resolves with its first reply. */
function boot(init: Partial<WorkerInit>): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: WorkerReply): void } = { onmessage: null, postMessage: resolve };
    bootWorkerVat(scope);
    const vatLink = new MessageChannel();
    const brokerLink = new MessageChannel();
    const full: WorkerInit = {
      type: 'capmesh-init',
      relay: 'ws://127.0.0.1:9',
      storeName: 'capmesh-worker-vat-test',
      vatPort: vatLink.port2,
      brokerPort: brokerLink.port2,
      direct: { iceServers: [], iceTransportPolicy: 'all', timeoutMs: 5_000, directPaths: false, answerPolicy: 'anyone', offerLimits: {} },
      sessionsRefreshMs: 0,
      ...init,
    };
    scope.onmessage!({ data: full } as MessageEvent);
  });
}

describe('bootWorkerVat', () => {
  it('passes the page’s liveness options to the worker’s vat (a bad one is the vat’s own INVALID_ARGUMENT)', async () => {
    const reply = await boot({ liveness: { intervalMs: 1_000, timeoutMs: 500 } });
    expect(reply).toMatchObject({ type: 'capmesh-failed', code: 'INVALID_ARGUMENT', message: expect.stringContaining('liveness.timeoutMs') });
  });
});
