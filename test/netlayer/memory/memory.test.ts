import { describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '../../../src/netlayer/index.js';
import type { Connection } from '../../../src/netlayer/index.js';
import { isCapmeshError } from '../../../src/util/errors.js';
import { attachVat, connectedPair, flushMicrotasks, memoryLocator, recorder, text } from './helpers.js';
import { testSigner } from '../../crypto/test-signer.js';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('memory netlayer: attach and connect', () => {
  it('attaches with the binding designator and empty hints', async () => {
    const network = createMemoryNetwork();
    const netlayer = network.netlayer();
    expect(netlayer.transport).toBe('memory');
    const attachment = await netlayer.attach({
      designator: 'alice',
      signer: testSigner(),
      onConnection: () => {},
    });
    expect(attachment).toEqual({ designator: 'alice', hints: {} });
  });

  it('hands the listener an inbound end and the dialler an outbound end', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const locator = memoryLocator('bob');
    const connecting = alice.netlayer.connect(locator);
    expect(bob.inbound).toHaveLength(0); // not in connect's call stack
    const toBob = await connecting;
    expect(bob.inbound).toHaveLength(1);
    const toAlice = bob.inbound[0] as Connection;
    expect(toBob.transport).toBe('memory');
    expect(toBob.outbound).toBe(true);
    expect(toBob.remoteLocator).toBe(locator);
    expect(toAlice.outbound).toBe(false);
    expect(toAlice.remoteLocator).toBeUndefined();
    const link = network.linkBetween('bob', 'alice');
    expect(link).toMatchObject({ a: 'alice', b: 'bob', closed: false, held: false });
    expect(network.links()).toEqual([link]);
  });

  it('rejects an unknown designator with DISCONNECTED', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const error = await rejectionOf(alice.netlayer.connect(memoryLocator('nobody')));
    expect(isCapmeshError(error, 'DISCONNECTED')).toBe(true);
    expect((error as Error).message).toContain('"nobody"');
    expect(network.links()).toHaveLength(0);
  });

  it('rejects a locator of another transport with INVALID_ARGUMENT', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    await attachVat(network, 'bob');
    const error = await rejectionOf(alice.netlayer.connect({ transport: 'websocket', designator: 'bob', hints: null }));
    expect(isCapmeshError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('rejects connect before attach and after close with DISCONNECTED', async () => {
    const network = createMemoryNetwork();
    await attachVat(network, 'bob');
    const unattached = network.netlayer();
    expect(isCapmeshError(await rejectionOf(unattached.connect(memoryLocator('bob'))), 'DISCONNECTED')).toBe(true);
    const alice = await attachVat(network, 'alice');
    await alice.netlayer.close();
    expect(isCapmeshError(await rejectionOf(alice.netlayer.connect(memoryLocator('bob'))), 'DISCONNECTED')).toBe(true);
  });

  it('refuses a duplicate designator and a second attach', async () => {
    const network = createMemoryNetwork();
    const first = await attachVat(network, 'alice');
    const binding = { designator: 'alice', signer: testSigner(), onConnection: () => {} };
    expect(isCapmeshError(await rejectionOf(network.netlayer().attach(binding)), 'INVALID_ARGUMENT')).toBe(true);
    const again = { ...binding, designator: 'alice2' };
    expect(isCapmeshError(await rejectionOf(first.netlayer.attach(again)), 'INVALID_ARGUMENT')).toBe(true);
    // Once the first netlayer closes, the designator is free again.
    await first.netlayer.close();
    await expect(network.netlayer().attach(binding)).resolves.toEqual({ designator: 'alice', hints: {} });
  });

  it('rejects connect and cuts the link when onConnection throws', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    await network.netlayer().attach({
      designator: 'grumpy',
      signer: testSigner(),
      onConnection: () => {
        throw new Error('go away');
      },
    });
    const error = await rejectionOf(alice.netlayer.connect(memoryLocator('grumpy')));
    expect(isCapmeshError(error, 'DISCONNECTED')).toBe(true);
    expect(network.linkBetween('alice', 'grumpy')?.closed).toBe(true);
  });

  it('connects a vat to itself (loopback)', async () => {
    const network = createMemoryNetwork();
    const solo = await attachVat(network, 'solo');
    const out = await solo.netlayer.connect(memoryLocator('solo'));
    const inbound = solo.inbound[0] as Connection;
    const atOut = recorder();
    const atIn = recorder();
    out.setReceiver(atOut);
    inbound.setReceiver(atIn);
    out.send(text('ping'));
    inbound.send(text('pong'));
    await flushMicrotasks();
    expect(atIn.messages).toEqual(['ping']);
    expect(atOut.messages).toEqual(['pong']);
  });
});

describe('memory netlayer: delivery', () => {
  it('delivers both ways, asynchronously, in order', async () => {
    const network = createMemoryNetwork();
    const { toBob, toAlice, atAlice, atBob } = await connectedPair(network);
    toBob.send(text('a1'));
    toBob.send(text('a2'));
    toAlice.send(text('b1'));
    expect(atBob.messages).toEqual([]); // never inside send's call stack
    expect(atAlice.messages).toEqual([]);
    await flushMicrotasks();
    expect(atBob.messages).toEqual(['a1', 'a2']);
    expect(atAlice.messages).toEqual(['b1']);
  });

  it('copies the bytes at send, and gives the receiver an array the log does not share', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const toBob = await alice.netlayer.connect(memoryLocator('bob'));
    const received: Uint8Array[] = [];
    (bob.inbound[0] as Connection).setReceiver({ message: (bytes) => received.push(bytes), closed: () => {} });
    const buffer = text('xyz');
    toBob.send(buffer);
    buffer[0] = 0x41; // the sender reuses its buffer
    await flushMicrotasks();
    expect(received.map(utf8)).toEqual(['xyz']);
    const delivered = network.log.find((e) => e.at === 'delivered');
    expect(delivered?.bytes).not.toBe(received[0]);
    (received[0] as Uint8Array)[0] = 0x42; // the receiver owns its array
    expect(utf8(delivered!.bytes)).toBe('xyz');
  });

  it('queues messages that arrive before setReceiver and delivers them right after it', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const toBob = await alice.netlayer.connect(memoryLocator('bob'));
    toBob.send(text('early1'));
    toBob.send(text('early2'));
    await flushMicrotasks();
    const inbound = bob.inbound[0] as Connection;
    const atBob = recorder();
    inbound.setReceiver(atBob);
    expect(atBob.messages).toEqual([]); // not inside setReceiver
    toBob.send(text('late'));
    await flushMicrotasks();
    expect(atBob.messages).toEqual(['early1', 'early2', 'late']);
  });

  it('throws when setReceiver is called twice', async () => {
    const network = createMemoryNetwork();
    const { toBob } = await connectedPair(network);
    let thrown: unknown;
    try {
      toBob.setReceiver(recorder());
    } catch (error) {
      thrown = error;
    }
    expect(isCapmeshError(thrown, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('lets a receiver send from inside message() without reentrancy', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const toBob = await alice.netlayer.connect(memoryLocator('bob'));
    const toAlice = bob.inbound[0] as Connection;
    const atAlice = recorder();
    const atBob = recorder((msg) => {
      const n = Number(msg);
      if (n < 5) toAlice.send(text(String(n + 1)));
    });
    const echo = recorder((msg) => {
      const n = Number(msg);
      if (n < 5) toBob.send(text(String(n + 1)));
    });
    toBob.setReceiver(echo);
    toAlice.setReceiver(atBob);
    toBob.send(text('0'));
    await flushMicrotasks();
    expect(atBob.messages).toEqual(['0', '2', '4']);
    expect(echo.messages).toEqual(['1', '3', '5']);
    expect(atAlice.messages).toEqual([]);
  });
});

describe('memory netlayer: closing', () => {
  it('close(): our receiver sees local once; the peer sees what was in flight, then remote', async () => {
    const network = createMemoryNetwork();
    const { toBob, toAlice, atAlice, atBob } = await connectedPair(network);
    toBob.send(text('m1'));
    toBob.send(text('m2'));
    toBob.close('bye');
    expect(atAlice.closes).toEqual([]); // not inside close's call stack
    toBob.close('again'); // idempotent
    toBob.send(text('after')); // no-op
    await flushMicrotasks();
    expect(atAlice.closes).toEqual([{ kind: 'local', message: 'bye' }]);
    expect(atBob.events).toEqual(['m1', 'm2', 'close:remote']);
    expect(atBob.closes[0]?.message).toBe('bye');
    const logCount = network.log.length;
    toAlice.send(text('to a closed peer')); // the inbound end is closed too now
    toAlice.close();
    await flushMicrotasks();
    expect(network.log).toHaveLength(logCount);
    expect(atBob.closes).toHaveLength(1);
    expect(atAlice.closes).toHaveLength(1);
    expect(network.linkBetween('alice', 'bob')?.closed).toBe(true);
  });

  it('drops messages still travelling toward the end that closed', async () => {
    const network = createMemoryNetwork();
    const { toBob, toAlice, atAlice, atBob } = await connectedPair(network);
    const link = network.linkBetween('alice', 'bob')!;
    link.hold();
    toAlice.send(text('lost'));
    toBob.close();
    // Bob keeps sending until the close notice reaches him: those are dropped too.
    toAlice.send(text('lost too'));
    link.release();
    await flushMicrotasks();
    expect(atAlice.events).toEqual(['close:local']);
    expect(atBob.events).toEqual(['close:remote']);
    expect(network.log.map((e) => `${e.at}:${utf8(e.bytes)}`)).toEqual([
      'sent:lost',
      'dropped:lost',
      'sent:lost too',
      'dropped:lost too',
    ]);
  });

  it('close before setReceiver: the receiver set later still hears closed, and nothing else', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const toBob = await alice.netlayer.connect(memoryLocator('bob'));
    const inbound = bob.inbound[0] as Connection;
    inbound.send(text('unseen'));
    await flushMicrotasks();
    toBob.close('early');
    const atAlice = recorder();
    toBob.setReceiver(atAlice);
    await flushMicrotasks();
    expect(atAlice.events).toEqual(['close:local']);
    const atBob = recorder();
    inbound.setReceiver(atBob);
    await flushMicrotasks();
    expect(atBob.events).toEqual(['close:remote']);
  });

  it('netlayer.close() closes every connection it made or accepted', async () => {
    const network = createMemoryNetwork();
    const alice = await attachVat(network, 'alice');
    const bob = await attachVat(network, 'bob');
    const carol = await attachVat(network, 'carol');
    const toBob = await alice.netlayer.connect(memoryLocator('bob'));
    const fromCarol = await carol.netlayer.connect(memoryLocator('alice'));
    const aliceEnds = [toBob, alice.inbound[0] as Connection];
    const peerEnds = [bob.inbound[0] as Connection, fromCarol];
    const aliceRecorders = aliceEnds.map((c) => {
      const r = recorder();
      c.setReceiver(r);
      return r;
    });
    const peerRecorders = peerEnds.map((c) => {
      const r = recorder();
      c.setReceiver(r);
      return r;
    });
    toBob.send(text('last words'));
    await alice.netlayer.close();
    await alice.netlayer.close(); // idempotent
    await flushMicrotasks();
    expect(aliceRecorders.map((r) => r.events)).toEqual([['close:local'], ['close:local']]);
    expect(peerRecorders.map((r) => r.events)).toEqual([['last words', 'close:remote'], ['close:remote']]);
    const error = await rejectionOf(bob.netlayer.connect(memoryLocator('alice')));
    expect(isCapmeshError(error, 'DISCONNECTED')).toBe(true);
  });
});

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
