import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createVat, E, far, type Vat } from '../../../src/index.js';
import { generateKeyPair, designatorOf, openSigEnvelope, publicKeyOfDesignator, sign, signatureFromSyrup, verify } from '../../../src/crypto/index.js';
import { decode, encode, isRecord, record } from '../../../src/syrup/index.js';
import { decodeOp, dialectFor, encodeOp } from '../../../src/wire/index.js';
import { makeHello } from '../../../src/mesh/handshake.js';
import { websocketNetlayer, type WebSocketNetlayer } from '../../../src/netlayer/websocket/node.js';
import { websocketClientNetlayer } from '../../../src/netlayer/websocket/client.js';
import { NodeWebSocket } from '../../../src/netlayer/websocket/ws.js';
import { messageBytes } from '../../../src/netlayer/websocket/websocket-like.js';
import { equalBytes } from '../../../src/util/bytes.js';

const vats: Vat[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function serverVat(options: Parameters<typeof websocketNetlayer>[0] = {}): Promise<{ vat: Vat; netlayer: WebSocketNetlayer }> {
  const netlayer = websocketNetlayer(options);
  const vat = await createVat({ netlayers: [netlayer] });
  vats.push(vat);
  return { vat, netlayer };
}

/** A raw ws client that queues what it receives. */
async function raw(url: string): Promise<{ socket: WebSocket; next(): Promise<Uint8Array>; closed: Promise<number>; received: readonly Uint8Array[] }> {
  const socket = new WebSocket(url, undefined, { perMessageDeflate: false });
  sockets.push(socket);
  socket.on('error', () => {});
  const queue: Uint8Array[] = [];
  const waiters: ((b: Uint8Array) => void)[] = [];
  socket.on('message', (data: unknown) => {
    const bytes = messageBytes(data)!.slice();
    const w = waiters.shift();
    if (w) w(bytes);
    else queue.push(bytes);
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code: number) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed, received: queue, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))) };
}

describe('websocket netlayer (Node server and client)', () => {
  it('two Node vats call each other directly; each calls over its own proven dial, never over the other\'s unproven inbound one', async () => {
    const alice = await serverVat();
    const bob = await serverVat();
    const aliceRef = await alice.vat.register(far('greeter', { greet: (n: string) => `hi ${n}` }));
    expect(aliceRef).toMatch(new RegExp(`^ocapn://${alice.vat.designator}\\.websocket/s/[A-Za-z0-9_-]+\\?url=ws%3A%2F%2F127\\.0\\.0\\.1%3A${alice.netlayer.port}$`));
    const bobRef = await bob.vat.register(far('adder', { add: (a: bigint, b: bigint) => a + b }));
    expect(await E(await bob.vat.enliven<{ greet(n: string): string }>(aliceRef)).greet('bob')).toBe('hi bob');
    expect(await E(await alice.vat.enliven<{ add(a: bigint, b: bigint): bigint }>(bobRef)).add(40n, 2n)).toBe(42n);
    // Bob's dial to Alice is proven (she signed his challenge); Alice's dial to him proved nothing to
    // Bob, so it only serves Alice. Each direction has its own connection.
    const mine = (s: { outbound: boolean; proven: boolean; designator: string }) => [s.designator, s.outbound, s.proven];
    expect(bob.vat.sessions().map(mine).sort()).toEqual(
      [
        [alice.vat.designator, false, false],
        [alice.vat.designator, true, true],
      ].sort(),
    );
    expect(bob.netlayer.connections().map((c) => [c.outbound, c.provenDesignator]).sort()).toEqual([
      [false, undefined],
      [true, alice.vat.designator],
    ]);
  });

  it('a dial-only (browser-style) vat reaches a Node vat, and is called back over the same connection', async () => {
    const server = await serverVat();
    const browser = await createVat({ netlayers: [websocketClientNetlayer({ WebSocket: NodeWebSocket })] });
    vats.push(browser);
    expect(browser.locators()[0]).toEqual({ transport: 'websocket', designator: browser.designator, hints: {} });
    const room = far('room', { join: (member: { name(): string }) => E(member).name() });
    const remoteRoom = await browser.enliven<{ join(m: unknown): string }>(await server.vat.register(room));
    expect(await E(remoteRoom).join(far('me', { name: () => 'tab-1' }))).toBe('tab-1');
  });

  it('a Goblins ≤ 0.17 style (legacy peer-auth) client connects to a listener with legacyPeerAuth', async () => {
    const server = await serverVat({ legacyPeerAuth: true });
    const client = await serverVat({ auth: 'legacy' });
    const ref = await server.vat.register(far('x', { ping: () => 'pong' }));
    expect(await E(await client.vat.enliven<{ ping(): string }>(ref)).ping()).toBe('pong');
  });

  it('a legacy peer-auth client cannot reach a default listener (DISCONNECTED, no session)', async () => {
    const server = await serverVat();
    const client = await serverVat({ auth: 'legacy' });
    const ref = await server.vat.register(far('x', { ping: () => 'pong' }));
    await expect(client.vat.enliven(ref)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(server.vat.sessions()).toHaveLength(0);
  });

  it('refuses a server that cannot prove the designator in the locator (WEBSOCKET_AUTH)', async () => {
    const impostor = await serverVat();
    const client = await serverVat();
    const victim = designatorOf(generateKeyPair().publicKey);
    const forged = `ocapn://${victim}.websocket/s/${'A'.repeat(43)}?url=${encodeURIComponent(impostor.netlayer.url!)}`;
    const error = await client.vat.enliven(forged).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISCONNECTED', message: expect.stringMatching(/^WEBSOCKET_AUTH: /) });
    expect((error as { cause: { code: string } }).cause.code).toBe('WEBSOCKET_AUTH');
    expect(impostor.vat.sessions()).toHaveLength(0);
  });
});

describe('websocket peer-auth on the wire (Goblins/Endo compatible)', () => {
  it('answers <init:peer-auth nonce> with a sig-envelope over the exact bytes, then sends one Syrup message per WebSocket message', async () => {
    const server = await serverVat();
    const client = await raw(server.netlayer.url!);
    const nonce = new Uint8Array(32).fill(7);
    const challenge = encode(record('init:peer-auth', nonce));
    client.socket.send(challenge);
    const answer = decode(await client.next());
    const { signed, signature } = openSigEnvelope(answer);
    expect(isRecord(signed, 'init:peer-auth', 1)).toBe(true);
    expect(equalBytes(encode(signed), challenge)).toBe(true);
    expect(verify(publicKeyOfDesignator(server.vat.designator), challenge, signature)).toBe(true);
    // Our start-session (one message), then the vat's, as one whole WebSocket message: on a
    // connection it accepted, the vat says hello only after the dialler's (crossed hellos).
    const location = { transport: 'websocket', designator: designatorOf(generateKeyPair().publicKey), hints: {} };
    client.socket.send(encodeOp(makeHello(location, dialectFor('spec')).op, dialectFor('spec'))[0]!);
    const hello = decodeOp(await client.next());
    expect(hello).toMatchObject({ op: 'start-session', captpVersion: '1.0', location: { transport: 'websocket', designator: server.vat.designator } });
  });

  it('refuses to sign a legacy 64-byte challenge by default: the socket is closed and nothing is sent', async () => {
    const server = await serverVat();
    const client = await raw(server.netlayer.url!);
    client.socket.send(new Uint8Array(64).map((_, i) => i));
    expect(await client.closed).toBe(4002);
    expect(client.received).toHaveLength(0);
    expect(server.vat.sessions()).toHaveLength(0);
  });

  it('refuses a typed challenge in non-canonical bytes (64 of them): closed, nothing signed', async () => {
    const server = await serverVat();
    const client = await raw(server.netlayer.url!);
    const padded = new TextEncoder().encode(`<14'init:peer-auth${'0'.repeat(10)}32:${'A'.repeat(32)}>`);
    expect(padded.length).toBe(64);
    client.socket.send(padded);
    expect(await client.closed).toBe(4002);
    expect(client.received).toHaveLength(0);
  });

  it('closes a socket that sends more while its challenge is being signed, and never answers it', async () => {
    const keys = generateKeyPair();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let signing = (): void => {};
    const started = new Promise<void>((resolve) => (signing = resolve));
    // A slow platform key: signing waits until the test lets it go.
    const identity = {
      publicKey: keys.publicKey,
      sign: async (message: Uint8Array) => {
        signing();
        await gate;
        return sign(keys.secretKey, message);
      },
    };
    const netlayer = websocketNetlayer();
    const vat = await createVat({ netlayers: [netlayer], identity });
    vats.push(vat);
    const client = await raw(netlayer.url!);
    client.socket.send(encode(record('init:peer-auth', new Uint8Array(32).fill(1))));
    await started;
    client.socket.send(new Uint8Array([1, 2, 3]));
    expect(await client.closed).toBe(4002);
    release();
    await gate;
    expect(client.received).toHaveLength(0);
    expect(vat.sessions()).toHaveLength(0);
  });

  it('answers the legacy 64-byte challenge with a bare sig-val list when legacyPeerAuth is on', async () => {
    const server = await serverVat({ legacyPeerAuth: true });
    const client = await raw(server.netlayer.url!);
    const challenge = new Uint8Array(64).map((_, i) => i);
    client.socket.send(challenge);
    const signature = signatureFromSyrup(decode(await client.next()));
    expect(verify(publicKeyOfDesignator(server.vat.designator), challenge, signature)).toBe(true);
  });

  it('closes a socket whose first message is not a challenge, without signing it', async () => {
    const server = await serverVat();
    const client = await raw(server.netlayer.url!);
    client.socket.send(encode(record('relay:register-proof', 'capmesh-relay/1', new Uint8Array(32), server.vat.designator)));
    expect(await client.closed).toBe(4002);
    expect(server.vat.sessions()).toHaveLength(0);
  });
});
