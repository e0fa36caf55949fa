import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encode, record } from '../../../src/syrup/index.js';
import { RELAY_PROTOCOL_VERSION, encodeRelayMessage } from '../../../src/netlayer/relay/protocol.js';
import type { RelaySignal, RelayTurnCredentials } from '../../../src/netlayer/relay/client.js';
import { identity, onCleanup, relayClient, testRelay, type Identity } from '../../relay/helpers.js';

const turn = { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 'shared', ttlSeconds: 600 };

function next<T>(subscribe: (listener: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      off();
      resolve(value);
    });
  });
}

/** A hand-driven relay: challenge, `registered`, then whatever the test sends on `socket`. */
async function fakeRelay(me: Identity): Promise<{ url: string; socket: Promise<WebSocket>; requestUrls: string[] }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const accepted: WebSocket[] = [];
  const requestUrls: string[] = [];
  onCleanup(() => new Promise<void>((resolve) => (accepted.forEach((s) => s.terminate()), server.close(() => resolve()))));
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const socket = new Promise<WebSocket>((resolve) =>
    server.on('connection', (ws: WebSocket, request: { url?: string }) => {
      accepted.push(ws);
      requestUrls.push(request.url ?? '');
      ws.send(encodeRelayMessage({ type: 'challenge', version: RELAY_PROTOCOL_VERSION, nonce: new Uint8Array(32), maxFrameBytes: 4096 }));
      ws.once('message', () => {
        ws.send(encodeRelayMessage({ type: 'registered', designator: me.designator }));
        resolve(ws);
      });
    }),
  );
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, socket, requestUrls };
}

describe('RelayClient and TURN credentials', () => {
  afterEach(() => void vi.useRealTimers());

  it('asks a relay with TURN for credentials and exposes them (turnCredentials, the turn event)', async () => {
    const relay = await testRelay({ turn });
    const me = identity();
    const client = relayClient(relay.url, me);
    const got = next<RelayTurnCredentials>((l) => client.on('turn', l));
    const before = Date.now();
    await client.whenRegistered();
    const credentials = await got;
    expect(client.turnCredentials).toBe(credentials);
    expect(credentials.urls).toEqual(turn.urls);
    expect(credentials.username.endsWith(`:${me.designator}`)).toBe(true);
    expect(credentials.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(credentials.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
  });

  it('without asking (askForTurn: false) it gets none, and otherwise works as before', async () => {
    const relay = await testRelay({ turn });
    const me = identity();
    const client = relayClient(relay.url, me, { askForTurn: false });
    await client.whenRegistered();
    // A signal to ourselves comes back after anything the relay sent at registration.
    const back = next<RelaySignal>((l) => client.on('signal', l));
    client.signal(me.designator, 'echo', new Uint8Array([1]));
    expect((await back).kind).toBe('echo');
    expect(client.turnCredentials).toBeUndefined();
  });

  it('at a relay without TURN (or an older one) a client that asks gets none and works as before', async () => {
    const relay = await testRelay();
    const me = identity();
    const client = relayClient(relay.url, me);
    await client.whenRegistered();
    const back = next<RelaySignal>((l) => client.on('signal', l));
    client.signal(me.designator, 'echo', new Uint8Array([2]));
    expect((await back).payload).toEqual(new Uint8Array([2]));
    expect(client.turnCredentials).toBeUndefined();
    expect(client.state).toBe('registered');
  });

  it('dials with ?capmesh-turn=1 only when asking, and never in dial-only mode', async () => {
    const me = identity();
    const asking = await fakeRelay(me);
    await relayClient(`${asking.url}/path?keep=1`, me).whenRegistered();
    expect(asking.requestUrls).toEqual(['/path?keep=1&capmesh-turn=1']);
    const quiet = await fakeRelay(me);
    await relayClient(quiet.url, me, { askForTurn: false }).whenRegistered();
    expect(quiet.requestUrls).toEqual(['/']);
  });

  it('drops credentials when their TTL ends, and fresh ones sent before then replace them', async () => {
    const me = identity();
    const relay = await fakeRelay(me);
    const client = relayClient(relay.url, me);
    await client.whenRegistered();
    const socket = await relay.socket;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const first = next<RelayTurnCredentials>((l) => client.on('turn', l));
    socket.send(encodeRelayMessage({ type: 'turn', urls: ['turn:h:1'], username: '1:a', credential: 'c1', ttlSeconds: 60 }));
    expect((await first).credential).toBe('c1');
    vi.advanceTimersByTime(30_000);
    expect(client.turnCredentials?.credential).toBe('c1');
    const second = next<RelayTurnCredentials>((l) => client.on('turn', l));
    socket.send(encodeRelayMessage({ type: 'turn', urls: ['turn:h:1'], username: '2:a', credential: 'c2', ttlSeconds: 60 }));
    await second;
    // The first one's lifetime ends: the second one (30 s younger) stays.
    vi.advanceTimersByTime(30_000);
    expect(client.turnCredentials?.credential).toBe('c2');
    vi.advanceTimersByTime(29_999);
    expect(client.turnCredentials?.credential).toBe('c2');
    vi.advanceTimersByTime(1);
    expect(client.turnCredentials).toBeUndefined();
    expect(client.state).toBe('registered');
  });

  it('ignores a relay:* kind it does not know and keeps going', async () => {
    const me = identity();
    const relay = await fakeRelay(me);
    const client = relayClient(relay.url, me);
    await client.whenRegistered();
    const socket = await relay.socket;
    const signal = next<RelaySignal>((l) => client.on('signal', l));
    socket.send(encode(record('relay:from-the-future', 'x')));
    socket.send(encodeRelayMessage({ type: 'signal', peer: 'someone', kind: 'after', payload: new Uint8Array([3]) }));
    expect((await signal).kind).toBe('after');
    expect(client.state).toBe('registered');
  });
});
