import { afterEach, describe, expect, it } from 'vitest';
import { bootSameBrowserBroker, connectSameBrowserBroker, type SharedWorkerScopeLike } from '../../src/browser/same-browser-broker.js';
import type { SameBrowserBroker } from '../../src/netlayer/same-browser/broker.js';
import { nextMessage } from '../netlayer/same-browser/fixtures.js';

let broker: SameBrowserBroker | undefined;
afterEach(() => broker?.close());

describe('bootSameBrowserBroker: the SharedWorker entry', () => {
  it('serves every port a connect event brings', async () => {
    const scope: SharedWorkerScopeLike = { onconnect: null };
    broker = bootSameBrowserBroker(scope, { presence: undefined });
    const ports = [new MessageChannel(), new MessageChannel()];
    for (const { port2 } of ports) scope.onconnect?.({ ports: [port2] } as unknown as MessageEvent);
    const [a, b] = ports.map((c) => c.port1) as [MessagePort, MessagePort];
    const registered = nextMessage(b);
    b.postMessage({ type: 'register', designator: 'bob' });
    expect(await registered).toEqual({ type: 'registered', designator: 'bob' });
    const registeredA = nextMessage(a);
    a.postMessage({ type: 'register', designator: 'alice' });
    await registeredA;
    const incoming = nextMessage(b);
    a.postMessage({ type: 'dial', id: 1, designator: 'bob', from: 'alice' });
    expect(await incoming).toMatchObject({ type: 'incoming', from: 'alice' });
    expect(broker.registrations('bob')).toBe(1);
    for (const { port1, port2 } of ports) (port1.close(), port2.close());
  });

  it('the page gets no broker port where SharedWorker does not exist (Node here), so the tab keeps the usual paths', () => {
    expect(typeof SharedWorker).toBe('undefined');
    expect(connectSameBrowserBroker()).toBeUndefined();
  });
});
