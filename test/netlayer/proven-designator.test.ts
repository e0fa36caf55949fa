import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '../../src/testing.js';
import { tcpTestingOnlyNetlayer, TCP_TESTING_ONLY_TRANSPORT } from '../../src/node.js';
import { messagePortNetlayer, PORT_TRANSPORT } from '../../src/netlayer/port/message-port.js';
import type { Connection, Netlayer, NetlayerBinding } from '../../src/netlayer/types.js';
import { testSigner } from '../crypto/test-signer.js';

/**
 * `Connection.provenDesignator` per transport: what each transport proves
 * about the other end (relay and websocket are checked in their own files).
 */

const open: Netlayer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

/** Attaches `netlayer` as `designator`; resolves the first inbound connection through `inbound`. */
async function attach(netlayer: Netlayer, designator: string) {
  open.push(netlayer);
  let accept!: (c: Connection) => void;
  const inbound = new Promise<Connection>((resolve) => (accept = resolve));
  const binding: NetlayerBinding = { designator, signer: testSigner(), onConnection: (c) => accept(c) };
  const attachment = await netlayer.attach(binding);
  return { attachment, inbound };
}

describe('Connection.provenDesignator', () => {
  it('memory: proven both ways (the network knows who attached)', async () => {
    const network = createMemoryNetwork();
    const a = await attach(network.netlayer(), 'alice');
    const b = await attach(network.netlayer(), 'bob');
    const out = await open[0]!.connect({ transport: 'memory', designator: 'bob', hints: {} });
    expect([out.outbound, out.provenDesignator]).toEqual([true, 'bob']);
    const inbound = await b.inbound;
    expect([inbound.outbound, inbound.provenDesignator]).toEqual([false, 'alice']);
    expect(a.attachment.designator).toBe('alice');
  });

  it('port: proven both ways (a private MessageChannel the app set up)', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      await attach(messagePortNetlayer(port1, 'a'), 'page');
      const worker = await attach(messagePortNetlayer(port2, 'b'), 'worker');
      const out = await open[0]!.connect({ transport: PORT_TRANSPORT, designator: 'worker', hints: {} });
      expect(out.provenDesignator).toBe('worker');
      expect((await worker.inbound).provenDesignator).toBe('page');
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('tcp-testing-only: never proven, either way', async () => {
    await attach(tcpTestingOnlyNetlayer(), 'alice');
    const b = await attach(tcpTestingOnlyNetlayer(), 'bob');
    const out = await open[0]!.connect({ transport: TCP_TESTING_ONLY_TRANSPORT, designator: 'bob', hints: b.attachment.hints });
    expect([out.outbound, out.provenDesignator]).toEqual([true, undefined]);
    const inbound = await b.inbound;
    expect([inbound.outbound, inbound.provenDesignator]).toEqual([false, undefined]);
    expect('provenDesignator' in inbound).toBe(true);
  });
});
