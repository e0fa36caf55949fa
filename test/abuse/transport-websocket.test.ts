import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { WebSocket } from 'ws';
import { createVat, type Vat } from '../../src/index.js';
import { encode, record } from '../../src/syrup/index.js';
import { decodeOp, type Op } from '../../src/wire/index.js';
import { websocketNetlayer, type WebSocketNetlayer } from '../../src/netlayer/websocket/node.js';
import { messageBytes } from '../../src/netlayer/websocket/websocket-like.js';

/**
 * Hostile clients against an in-process vat listening with the websocket
 * netlayer, with small deadlines: the HTTP upgrade, then (after peer-auth)
 * the peer's first message; and the `maxPayload` limit.
 */
const vats: Vat[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function serverVat(options: Parameters<typeof websocketNetlayer>[0]): Promise<{ vat: Vat; netlayer: WebSocketNetlayer }> {
  const netlayer = websocketNetlayer(options);
  const vat = await createVat({ netlayers: [netlayer] });
  vats.push(vat);
  return { vat, netlayer };
}

/** A raw ws client: every binary message it receives, and its close code. */
async function rawClient(url: string): Promise<{ socket: WebSocket; received: Uint8Array[]; closed: Promise<number> }> {
  const socket = new WebSocket(url, undefined, { perMessageDeflate: false });
  sockets.push(socket);
  socket.on('error', () => {});
  const received: Uint8Array[] = [];
  socket.on('message', (data: unknown) => received.push(messageBytes(data)!.slice()));
  const closed = new Promise<number>((resolve) => socket.on('close', (code: number) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received, closed };
}

describe('websocket listener hygiene', () => {
  it('destroys a TCP socket that never completes its HTTP upgrade within upgradeTimeoutMs', async () => {
    const { netlayer } = await serverVat({ upgradeTimeoutMs: 100 });
    const results = await Promise.all(
      [undefined, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'].map(async (partial) => {
        const socket = netConnect({ host: '127.0.0.1', port: netlayer.port! });
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        const started = Date.now();
        if (partial !== undefined) socket.write(partial); // headers begun, never finished
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
        return Date.now() - started;
      }),
    );
    for (const livedMs of results) expect(livedMs).toBeGreaterThanOrEqual(90);
  });

  it('answers a plain HTTP request with 426', async () => {
    const { netlayer } = await serverVat({});
    const response = await fetch(`http://127.0.0.1:${netlayer.port!}/`);
    expect(response.status).toBe(426);
  });

  it('a peer that passes peer-auth but never sends its start-session gets op:abort (TIMEOUT), then close 4003', async () => {
    const { vat, netlayer } = await serverVat({ firstMessageTimeoutMs: 100 });
    const client = await rawClient(netlayer.url!);
    client.socket.send(encode(record('init:peer-auth', new Uint8Array(32).fill(1))));
    expect(await client.closed).toBe(4003);
    // Received: the peer-auth answer, then the vat's op:abort — nothing else (its start-session waits for ours).
    const ops: Op[] = client.received.slice(1).map((bytes) => decodeOp(bytes));
    expect(ops.map((op) => op.op)).toEqual(['abort']);
    expect(ops[0]).toMatchObject({ op: 'abort', reason: expect.stringMatching(/^TIMEOUT: no message from the peer within 100 ms/) });
    expect(vat.sessions()).toHaveLength(0);
  });

  it('closes a socket that declares a message over maxMessageBytes (1009), before peer-auth too', async () => {
    const { netlayer } = await serverVat({ maxMessageBytes: 1000 });
    const client = await rawClient(netlayer.url!);
    client.socket.send(new Uint8Array(1001));
    expect(await client.closed).toBe(1009);
  });

  it('refuses bad limit options', () => {
    expect(() => websocketNetlayer({ upgradeTimeoutMs: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => websocketNetlayer({ firstMessageTimeoutMs: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
