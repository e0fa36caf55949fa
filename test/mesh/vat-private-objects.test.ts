import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../src/index.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { messagePortNetlayer } from '../../src/netlayer/port/message-port.js';
import { formatSturdyRef, parseSturdyRef } from '../../src/mesh/uri.js';

const vats: Vat[] = [];
const ports: MessagePort[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
  for (const p of ports.splice(0)) p.close();
});

/** A browser-like worker vat (network + private page link), its page, and a stranger on the network. */
async function setup() {
  const network = createMemoryNetwork();
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const worker = await createVat({ netlayers: [network.netlayer(), messagePortNetlayer(port2, 'b')] });
  const page = await createVat({ netlayers: [messagePortNetlayer(port1, 'a')] });
  const mallory = await createVat({ netlayers: [network.netlayer()] });
  vats.push(worker, page, mallory);
  return { worker, page, mallory };
}

describe('vat.register(obj, { onlyOver }): objects private to one transport', () => {
  it('a peer on another transport that knows the swiss number gets NOT_FOUND; the page link still works', async () => {
    const { worker, page, mallory } = await setup();
    const adminUri = await worker.register(far('admin', { secret: () => 'keys to the vat' }), { onlyOver: 'port' });
    const ref = parseSturdyRef(adminUri);
    expect(ref.peer.transport).toBe('port');
    // The page, on the private link, reaches it.
    expect(await E(await page.enliven<{ secret(): string }>(adminUri)).secret()).toBe('keys to the vat');
    // Mallory learned the swiss number and names the worker on the network transport.
    const stolen = formatSturdyRef({ peer: worker.locators().find((l) => l.transport === 'memory')!, swiss: ref.swiss });
    await expect(mallory.enliven(stolen)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The vat-wide table still serves network peers: the session itself is fine.
    const pub = await worker.register(far('public', { hi: () => 'hi' }));
    expect(await E(await mallory.enliven<{ hi(): string }>(pub)).hi()).toBe('hi');
    // And the same swiss number over the page link still works after Mallory's attempt.
    expect(await E(await page.enliven<{ secret(): string }>(adminUri)).secret()).toBe('keys to the vat');
  });

  it('revoke forgets a private object; onlyOver names an attached transport', async () => {
    const { worker, page } = await setup();
    const uri = await worker.register(far('x', { x: () => 1 }), { onlyOver: 'port' });
    expect(await worker.revoke(uri)).toBe(true);
    await expect(page.enliven(uri)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(worker.register(far('y', {}), { onlyOver: 'webrtc' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
