import { connect as netConnect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTestingOnlyNetlayer, TCP_TESTING_ONLY_TRANSPORT } from '../../../src/node.js';
import type { Connection, ConnectionCloseReason, Netlayer, NetlayerAttachment } from '../../../src/netlayer/types.js';
import { encode } from '../../../src/syrup/encode.js';
import { record } from '../../../src/syrup/types.js';
import { utf8Decode, utf8Encode } from '../../../src/util/bytes.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { testSigner } from '../../crypto/test-signer.js';

/** Waits for events instead of sleeping: `next()` resolves with the next item pushed. */
class Channel<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];
  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }
  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface Probe {
  readonly messages: Channel<string>;
  readonly closes: Channel<ConnectionCloseReason>;
}

function probe(connection: Connection): Probe {
  const p: Probe = { messages: new Channel(), closes: new Channel() };
  connection.setReceiver({ message: (b) => p.messages.push(utf8Decode(b)), closed: (r) => p.closes.push(r) });
  return p;
}

const open: Netlayer[] = [];

async function listening(options: Parameters<typeof tcpTestingOnlyNetlayer>[0] = {}): Promise<{
  netlayer: Netlayer;
  attachment: NetlayerAttachment;
  locator: PeerLocator;
  inbound: Channel<Connection>;
}> {
  const netlayer = tcpTestingOnlyNetlayer(options);
  open.push(netlayer);
  const inbound = new Channel<Connection>();
  const attachment = await netlayer.attach({
    designator: 'vat-key',
    signer: testSigner(),
    onConnection: (c) => inbound.push(c),
  });
  const locator = { transport: TCP_TESTING_ONLY_TRANSPORT, designator: attachment.designator, hints: attachment.hints };
  return { netlayer, attachment, locator, inbound };
}

/** A raw client socket, connected. */
async function rawSocket(port: string): Promise<{ socket: Socket; data: Channel<string>; ended: Promise<void>; text: () => string }> {
  const socket = netConnect({ host: '127.0.0.1', port: Number(port) });
  const data = new Channel<string>();
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    data.push(chunk.toString('latin1'));
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, data, ended, text: () => text };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

describe('tcp-testing-only netlayer', () => {
  it('advertises the vat’s designator (or the one given) and host/port hints as strings', async () => {
    const a = await listening();
    expect(a.attachment.designator).toBe('vat-key');
    expect(a.attachment.hints).toEqual({ host: '127.0.0.1', port: expect.stringMatching(/^[1-9][0-9]*$/) });
    const b = await listening({ designator: '0000' });
    expect(b.attachment.designator).toBe('0000');
    expect(b.attachment.hints['port']).not.toBe(a.attachment.hints['port']);
    expect(a.netlayer.transport).toBe('tcp-testing-only');
  });

  it.each(['none', 'syrup'] as const)('framing %s: dials, accepts, and carries messages both ways in order', async (framing) => {
    const server = await listening({ framing });
    const client = await listening({ framing });
    const out = await client.netlayer.connect(server.locator);
    expect(out.outbound).toBe(true);
    expect(out.remoteLocator).toEqual(server.locator);
    const inn = await server.inbound.next();
    expect(inn.outbound).toBe(false);
    const pOut = probe(out);
    const pIn = probe(inn);
    const msgs = ['<2\'op1"a>', '<2\'op2"bb>', '<2\'op3"ccc>'];
    for (const m of msgs) out.send(utf8Encode(m));
    for (const m of msgs) expect(await pIn.messages.next()).toBe(m);
    inn.send(utf8Encode('<5\'reply>'));
    expect(await pOut.messages.next()).toBe('<5\'reply>');
    out.close('done');
    expect(await pOut.closes.next()).toEqual({ kind: 'local', message: 'done' });
    expect((await pIn.closes.next()).kind).toBe('remote');
  });

  it('framing none: values split across TCP writes arrive whole; several in one write arrive apart', async () => {
    const server = await listening({ framing: 'none' });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const p = probe(await server.inbound.next());
    const a = encode(record('op:abort', 'x'.repeat(300)));
    const b = encode(record('op:abort', 'short'));
    for (let i = 0; i < a.length; i += 7) raw.socket.write(a.subarray(i, i + 7));
    raw.socket.write(Buffer.concat([b, b]));
    expect(await p.messages.next()).toBe(utf8Decode(a));
    expect(await p.messages.next()).toBe(utf8Decode(b));
    expect(await p.messages.next()).toBe(utf8Decode(b));
    raw.socket.destroy();
  });

  it('framing syrup: writes <len>: before each message', async () => {
    const server = await listening({ framing: 'syrup' });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const inn = await server.inbound.next();
    probe(inn);
    inn.send(utf8Encode('<3\'abc>'));
    expect(await raw.data.next()).toBe('7:<3\'abc>');
    raw.socket.destroy();
  });

  it.each([
    ['none', 'this is not syrup'],
    ['syrup', 'GET / HTTP/1.1\r\n'],
  ] as const)('framing %s: a peer sending garbage gets its connection closed', async (framing, garbage) => {
    const server = await listening({ framing });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const p = probe(await server.inbound.next());
    raw.socket.write(garbage);
    const reason = await p.closes.next();
    expect(reason.kind).toBe('error');
    expect(reason.message).toMatch(/unreadable input/);
    await raw.ended;
  });

  it('a message over maxMessageBytes closes the connection before it is buffered', async () => {
    const server = await listening({ framing: 'syrup', maxMessageBytes: 1000 });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const p = probe(await server.inbound.next());
    raw.socket.write('5000:');
    expect((await p.closes.next()).message).toMatch(/maxFrameBytes/);
    await raw.ended;
  });

  it.each([
    ['none', 'this is not syrup', 'FRAMING'],
    ['syrup', 'GET / HTTP/1.1\r\n', 'FRAMING'],
    ['syrup', '99999999:', 'LIMIT'],
  ] as const)('framing %s: on %j the close notice says %s and can still send a last message, which goes out before the end of stream', async (framing, garbage, code) => {
    const server = await listening({ framing });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const inn = await server.inbound.next();
    let reason: ConnectionCloseReason | undefined;
    inn.setReceiver({
      message: () => {},
      closed: (r) => {
        reason = r;
        inn.send(utf8Encode("<5'abort>"));
        inn.send(utf8Encode("<5'after>")); // still inside the notice: also sent
      },
    });
    raw.socket.write(garbage);
    await raw.ended;
    expect(reason).toMatchObject({ kind: 'error', code, canSend: true });
    expect(raw.text()).toBe(framing === 'none' ? "<5'abort><5'after>" : "9:<5'abort>9:<5'after>");
    inn.send(utf8Encode('<4\'late>')); // after the notice: a no-op
  });

  it('ends a connection that sends nothing within firstMessageTimeoutMs with TIMEOUT, and the notice can still send', async () => {
    const server = await listening({ framing: 'syrup', firstMessageTimeoutMs: 50 });
    const started = Date.now();
    const raw = await rawSocket(server.attachment.hints['port']!);
    const inn = await server.inbound.next();
    const closes = new Channel<ConnectionCloseReason>();
    inn.setReceiver({
      message: () => {},
      closed: (r) => {
        inn.send(utf8Encode('<3\'bye>'));
        closes.push(r);
      },
    });
    const reason = await closes.next();
    expect(reason).toMatchObject({ kind: 'error', code: 'TIMEOUT', canSend: true });
    expect(reason.message).toMatch(/within 50 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await raw.ended;
    expect(raw.text()).toBe("7:<3'bye>");
  });

  it('a first whole message stops the first-message deadline; a message left unfinished hits partialMessageTimeoutMs', async () => {
    const server = await listening({ framing: 'syrup', firstMessageTimeoutMs: 40, partialMessageTimeoutMs: 120 });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const p = probe(await server.inbound.next());
    raw.socket.write("5:<1'a>");
    expect(await p.messages.next()).toBe("<1'a>");
    const started = Date.now();
    raw.socket.write('16777216:abc'); // a 16 MiB frame, three bytes of it
    const reason = await p.closes.next();
    expect(reason).toMatchObject({ kind: 'error', code: 'TIMEOUT' });
    expect(reason.message).toMatch(/unfinished for 120 ms/);
    // The first-message deadline (40 ms) did not fire: only the partial one did, after its own 120 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    await raw.ended;
  });

  it('a local close half-closes and drains: a peer still writing sees an orderly end of stream', async () => {
    const server = await listening({ framing: 'none' });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const inn = await server.inbound.next();
    const p = probe(inn);
    let sawEnd = false;
    raw.socket.on('end', () => {
      sawEnd = true;
      raw.socket.end();
    });
    inn.send(utf8Encode('<4\'last>'));
    inn.close('bye');
    expect(await p.closes.next()).toEqual({ kind: 'local', message: 'bye' });
    expect(await raw.data.next()).toBe('<4\'last>');
    raw.socket.write('<4\'late>'); // after our close: discarded, not answered with a reset
    await raw.ended;
    expect(sawEnd).toBe(true);
    inn.send(utf8Encode('ignored')); // a no-op after close
  });

  it('queues messages that arrive before setReceiver and delivers them after it', async () => {
    const server = await listening({ framing: 'none' });
    const raw = await rawSocket(server.attachment.hints['port']!);
    const inn = await server.inbound.next();
    const seen = new Channel<void>();
    const data = new Promise<void>((resolve) => {
      raw.socket.write('<1\'a><1\'b>', () => resolve());
    });
    await data;
    // Give the bytes a chance to be read before the receiver exists: wait for a round trip.
    inn.send(utf8Encode('<4\'ping>'));
    await raw.data.next();
    const got: string[] = [];
    inn.setReceiver({
      message: (b) => {
        got.push(utf8Decode(b));
        if (got.length === 2) seen.push();
      },
      closed: () => {},
    });
    expect(got).toEqual([]); // not in setReceiver's own call stack
    await seen.next();
    expect(got).toEqual(["<1'a>", "<1'b>"]);
    expect(() => inn.setReceiver({ message: () => {}, closed: () => {} })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    raw.socket.destroy();
  });

  it('connect rejects with DISCONNECTED when nobody listens, INVALID_ARGUMENT without a port hint', async () => {
    const { netlayer } = await listening();
    const closedPort = await freePort();
    await expect(
      netlayer.connect({ transport: 'tcp-testing-only', designator: 'x', hints: { host: '127.0.0.1', port: String(closedPort) } }),
    ).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(netlayer.connect({ transport: 'tcp-testing-only', designator: 'x', hints: { host: '127.0.0.1' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(netlayer.connect({ transport: 'memory', designator: 'x', hints: null })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('close() stops listening and ends every connection; later calls are refused', async () => {
    const server = await listening();
    const client = await listening();
    const out = await client.netlayer.connect(server.locator);
    const pOut = probe(out);
    probe(await server.inbound.next());
    await server.netlayer.close();
    expect((await pOut.closes.next()).kind).toBe('remote');
    await expect(client.netlayer.connect(server.locator)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await server.netlayer.close(); // idempotent
    await expect(
      server.netlayer.attach({ designator: 'x', signer: testSigner(), onConnection: () => {} }),
    ).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('refuses bad options', () => {
    expect(() => tcpTestingOnlyNetlayer({ framing: 'lines' as 'none' })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tcpTestingOnlyNetlayer({ port: 70000 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tcpTestingOnlyNetlayer({ designator: '' })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tcpTestingOnlyNetlayer({ firstMessageTimeoutMs: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tcpTestingOnlyNetlayer({ partialMessageTimeoutMs: 1.5 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

/** A port that was free a moment ago (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}
