import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage, pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { greet, registerGreeter, VAT_PAGE, waitForVatEvent } from './helpers.js';

/** Opens a vat tab in `context` (one browser profile, so one same-browser broker). */
async function openTab(context: BrowserContext, relay: RelayServer): Promise<{ page: Page; designator: string }> {
  const page = await context.newPage();
  return { page, designator: await loadVatPage(page, { path: VAT_PAGE, query: { relay: relay.url } }) };
}

test('tabs of one browser call each other over the same-browser path, and a fresh session opens between two of them with the relay stopped', async ({ browser }) => {
  const relay = await startTestRelay();
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const alice = await openTab(context, relay);
    const bob = await openTab(context, relay);
    const carol = await openTab(context, relay);
    const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    const carolUri = await registerGreeter(carol.page, 'Hello from Carol');
    // Sturdyrefs are the usual relay-transport URIs: the fast path does not show in them.
    expect(bobUri).toContain(`ocapn://${bob.designator}.relay`);
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'same-browser' });
    expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'same-browser' });

    // The relay goes away for good; Alice and Carol never had a session.
    await relay.close();
    await alice.page.waitForFunction(() => window.capmeshTest.vat.relayState.state !== 'registered');
    expect(await greet(alice.page, carolUri, 'Alice')).toBe('Hello from Carol, Alice');
    expect(await greet(carol.page, aliceUri, 'Carol')).toBe('Hello from Alice, Carol');
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'same-browser', [carol.designator]: 'same-browser' });
    // The session opened before the outage carries on.
    expect(await greet(alice.page, bobUri, 'Alice again')).toBe('Hello from Bob, Alice again');
  } finally {
    await context.close();
    await relay.close();
  }
});

test('a same-origin impostor that registers another tab’s designator at the broker cannot prove its key: the call goes by the usual path', async ({ browser }) => {
  const relay = await startTestRelay();
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const alice = await openTab(context, relay);
    const bob = await openTab(context, relay);
    const bobUri = await registerGreeter(bob.page, 'Hello from the real Bob');
    // Mallory's page of the same origin: it connects to the broker the way startBrowserVat does (same
    // script, same name) and registers Bob's designator after Bob, so the broker sends dials to it.
    const mallory = await context.newPage();
    await mallory.goto('/e2e/helpers.ts'); // any document of the origin: it starts no vat
    const registered = await mallory.evaluate(async (victim) => {
      const source = await (await fetch('/src/browser/same-browser-broker.ts')).text();
      const script = /new SharedWorker\(\s*new URL\(\s*(?:\/\*[^*]*\*\/\s*)?"([^"]+)"/.exec(source)?.[1];
      if (!script) throw new Error('no broker script in the served module');
      const port = new SharedWorker(new URL(script, location.href), { type: 'module', name: 'capmesh same-browser broker' }).port;
      const w = window as unknown as { impostor: { incoming: number; closedBy: string[] } };
      w.impostor = { incoming: 0, closedBy: [] };
      const reply = new Promise<unknown>((resolve) => {
        port.onmessage = (e: MessageEvent) => {
          const m = e.data as { type: string; port?: MessagePort };
          if (m.type !== 'incoming') return resolve(m.type);
          w.impostor.incoming += 1;
          const channel = m.port!;
          channel.onmessage = (ev: MessageEvent) => {
            const c = ev.data as { type: string; reason?: string };
            if (c.type === 'hello') {
              // Claims to be Bob, with a signature it cannot make.
              channel.postMessage({ type: 'hello', designator: victim, nonce: crypto.getRandomValues(new Uint8Array(32)) });
              channel.postMessage({ type: 'proof', signature: crypto.getRandomValues(new Uint8Array(64)) });
            } else if (c.type === 'close') w.impostor.closedBy.push(String(c.reason));
          };
        };
      });
      port.postMessage({ type: 'register', designator: victim });
      return reply;
    }, bob.designator);
    expect(registered).toBe('registered');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from the real Bob, Alice');
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
    const seen = await mallory.evaluate(() => (window as unknown as { impostor: { incoming: number; closedBy: string[] } }).impostor);
    expect(seen.incoming).toBe(1);
    expect(seen.closedBy).toEqual([expect.stringContaining('does not verify')]);
    // Alice's page is told why the fast path was not taken.
    const fallbacks = await alice.page.evaluate(() => window.capmeshTest.events.filter((e) => e.name === 'same-browser-fallback').map((e) => e.detail));
    expect(fallbacks).toEqual([{ designator: bob.designator, code: 'CRYPTO_BAD_SIGNATURE', message: expect.stringContaining('does not verify') }]);
  } finally {
    await context.close();
    await relay.close();
  }
});

test('a tab that closes ends its same-browser sessions at once, with the relay stopped', async ({ browser }) => {
  const relay = await startTestRelay();
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const alice = await openTab(context, relay);
    const bob = await openTab(context, relay);
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'same-browser' });
    await relay.close(); // nothing but the channel itself can tell Alice
    await bob.page.close();
    // Well inside the 45 s heartbeat timeout: the channel's close (or Bob's released lock) ends the session.
    await waitForVatEvent(alice.page, 'peer-disconnected', { designator: bob.designator }, 10_000);
    expect(await pathsOf(alice.page)).toEqual({});
  } finally {
    await context.close();
    await relay.close();
  }
});
