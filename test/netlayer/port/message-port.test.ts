import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../../src/index.js';
import { messagePortNetlayer, PORT_TRANSPORT } from '../../../src/netlayer/port/message-port.js';
import { parseSturdyRef } from '../../../src/mesh/uri.js';

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

describe('messagePortNetlayer: a page and its worker', () => {
  it('two vats on the two ends of a MessageChannel call each other', async () => {
    const { port1, port2 } = new MessageChannel();
    const worker = await createVat({ netlayers: [messagePortNetlayer(port2, 'b')] });
    const page = await createVat({ netlayers: [messagePortNetlayer(port1, 'a')] });
    vats.push(worker, page);
    expect(worker.locators()[0]!.transport).toBe(PORT_TRANSPORT);
    const uri = await worker.register(far('admin', { hello: (who: string) => `hi ${who}` }));
    const admin = await page.enliven<{ hello(who: string): string }>(uri);
    expect(await E(admin).hello('page')).toBe('hi page');
    // And back: the worker calls an object the page passed it.
    const pageObj = far('page obj', { ping: () => 'pong' });
    const back = await worker.enliven<{ relay(x: unknown): unknown }>(await page.register(far('echo', { relay: () => pageObj })));
    expect(await E(E(back).relay(null) as never as typeof pageObj).ping()).toBe('pong');
    expect(page.sessions()).toHaveLength(1);
    port1.close();
    port2.close();
  });

  it('a connection closed by one end is closed at the other', async () => {
    const { port1, port2 } = new MessageChannel();
    const worker = await createVat({ netlayers: [messagePortNetlayer(port2, 'b')] });
    const page = await createVat({ netlayers: [messagePortNetlayer(port1, 'a')] });
    vats.push(worker, page);
    const uri = await worker.register(far('x', { x: () => 1 }));
    const x = await page.enliven<{ x(): number }>(uri);
    expect(await E(x).x()).toBe(1n);
    const ended = page.whenSessionEnds(parseSturdyRef(uri).peer);
    await worker.close();
    expect((await ended).code).toMatch(/ABORTED|DISCONNECTED/);
    port1.close();
    port2.close();
  });
});
