import { expect } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import { greet, registerGreeter } from '../helpers.js';
import { loadTestPage, test, vatContext } from './engine.js';

test('two Firefox tabs of one profile call each other over the same-browser path, and open a fresh session with the relay stopped', async ({ browser }) => {
  const relay = await startTestRelay();
  const context = await vatContext(browser);
  try {
    const open = async () => {
      const page = await context.newPage();
      return { page, designator: await loadTestPage(page, { relay: relay.url }) };
    };
    const alice = await open();
    const bob = await open();
    const carol = await open();
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    const carolUri = await registerGreeter(carol.page, 'Hello from Carol');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    const fallbacks = () => alice.page.evaluate(() => window.capmeshTest.events.filter((e) => e.name === 'same-browser-fallback').map((e) => e.detail));
    expect({ paths: await pathsOf(alice.page), fallbacks: await fallbacks() }).toEqual({ paths: { [bob.designator]: 'same-browser' }, fallbacks: [] });
    await relay.close();
    await alice.page.waitForFunction(() => window.capmeshTest.vat.relayState.state !== 'registered');
    expect(await greet(alice.page, carolUri, 'Alice')).toBe('Hello from Carol, Alice');
    expect({ paths: await pathsOf(alice.page), fallbacks: await fallbacks() }).toEqual({
      paths: { [bob.designator]: 'same-browser', [carol.designator]: 'same-browser' },
      fallbacks: [],
    });
  } finally {
    await context.close();
    await relay.close();
  }
});
