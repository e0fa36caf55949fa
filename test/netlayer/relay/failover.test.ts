import { describe, expect, it } from 'vitest';
import { RelayClient } from '../../../src/netlayer/relay/client.js';
import { relayNetlayer } from '../../../src/netlayer/relay/node.js';
import { NodeWebSocket } from '../../../src/netlayer/websocket/ws.js';
import { identity, onCleanup, relayClient, testRelay } from '../../relay/helpers.js';

describe('relay client: a cluster URL list', () => {
  it('registers at the first URL; when that relay goes, fails over to the next after the backoff and registers there', async () => {
    const first = await testRelay();
    const second = await testRelay();
    const who = identity();
    const client = relayClient('unused', who, { url: [first.url, second.url], reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    expect(client.urls).toEqual([first.url, second.url]);
    await client.whenRegistered();
    expect(client.url).toBe(first.url);
    expect(first.isRegistered(who.designator)).toBe(true);
    const registeredAgain = new Promise<void>((resolve) => client.on('state', (state) => state === 'registered' && resolve()));
    await first.close();
    await registeredAgain;
    expect(client.url).toBe(second.url);
    expect(second.isRegistered(who.designator)).toBe(true);
    expect(client.registrations).toBe(2);
  });

  it('refuses an empty list or a bad entry (INVALID_ARGUMENT naming it)', () => {
    const who = identity();
    const make = (url: unknown) => new RelayClient({ url: url as string, designator: who.designator, signer: who.signer, WebSocket: NodeWebSocket, reconnect: false });
    expect(() => make([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => make(['ws://a:1', 'http://b'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('url[1]') }));
    expect(() => make(['ws://a:1', 3])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => relayNetlayer({ url: [] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('the netlayer advertises the first URL and exposes them all', () => {
    const netlayer = relayNetlayer({ url: ['ws://127.0.0.1:1', 'ws://127.0.0.1:2'] });
    onCleanup(() => netlayer.close());
    expect(netlayer.url).toBe('ws://127.0.0.1:1');
    expect(netlayer.urls).toEqual(['ws://127.0.0.1:1', 'ws://127.0.0.1:2']);
  });
});
