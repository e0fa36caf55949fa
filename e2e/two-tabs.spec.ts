import { expect, test } from '@playwright/test';
import { openVatPages, pathsOf, startTestRelay } from '../src/testing/playwright.js';
import type { RelayServer } from '../relay/index.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('forced ICE failure: the call still works, over the relay path', async ({ browser }) => {
  const [alice, bob] = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', query: { relay: relay.url, forceRelay: '1' } });
  const uri = await alice!.page.evaluate(async () => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('greeter', { greet: (name: string) => `Hello, ${name}, from the page!` }));
  });
  expect(uri).toContain(`ocapn://${alice!.designator}.relay`);
  const greeting = await bob!.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const greeter = await vat.enliven<{ greet(n: string): string }>(u);
    return E(greeter).greet('Bob');
  }, uri);
  expect(greeting).toBe('Hello, Bob, from the page!');
  expect(await pathsOf(bob!.page)).toEqual({ [alice!.designator]: 'relay' });
  for (const v of [alice!, bob!]) await v.context.close();
});

test('two tabs call each other over a direct WebRTC path, both ways', async ({ browser }) => {
  const [alice, bob] = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', query: { relay: relay.url } });
  const register = async (greeting: string) => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('greeter', { greet: (name: string) => `${greeting}, ${name}` }));
  };
  const call = async ([uri, who]: readonly [string, string]) => {
    const { vat, E } = window.capmeshTest;
    return E(await vat.enliven<{ greet(n: string): string }>(uri)).greet(who);
  };
  const aliceUri = await alice!.page.evaluate(register, 'Hello from Alice');
  const bobUri = await bob!.page.evaluate(register, 'Hello from Bob');
  expect(await bob!.page.evaluate(call, [aliceUri, 'Bob'] as const)).toBe('Hello from Alice, Bob');
  expect(await alice!.page.evaluate(call, [bobUri, 'Alice'] as const)).toBe('Hello from Bob, Alice');
  // One session each way round, carried by a data channel, not the relay.
  expect(await pathsOf(bob!.page)).toEqual({ [alice!.designator]: 'webrtc' });
  expect(await pathsOf(alice!.page)).toEqual({ [bob!.designator]: 'webrtc' });
  for (const v of [alice!, bob!]) await v.context.close();
});
