import { expect } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { closeTabs, greet, registerGreeter } from '../helpers.js';
import { handOversOf, openTab, test } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

for (const dialler of ['firefox', 'chromium'] as const) {
  test(`a Firefox tab and a Chromium tab call each other over WebRTC both ways (${dialler} dials first)`, async ({ browser, chromium }) => {
    const fox = await openTab(browser, relay);
    const chrome = await openTab(chromium, relay);
    expect(await fox.page.evaluate(() => navigator.userAgent)).toContain('Firefox/');
    expect(await chrome.page.evaluate(() => navigator.userAgent)).toContain('Chrome/');
    const foxUri = await registerGreeter(fox.page, 'Hello from Firefox');
    const chromeUri = await registerGreeter(chrome.page, 'Hello from Chromium');
    // Whoever dials first offers the data channel; the other side accepts it (ondatachannel).
    if (dialler === 'firefox') {
      expect(await greet(fox.page, chromeUri, 'Firefox')).toBe('Hello from Chromium, Firefox');
      expect(await greet(chrome.page, foxUri, 'Chromium')).toBe('Hello from Firefox, Chromium');
    } else {
      expect(await greet(chrome.page, foxUri, 'Chromium')).toBe('Hello from Firefox, Chromium');
      expect(await greet(fox.page, chromeUri, 'Firefox')).toBe('Hello from Chromium, Firefox');
    }
    expect(await pathsOf(fox.page)).toEqual({ [chrome.designator]: 'webrtc' });
    expect(await pathsOf(chrome.page)).toEqual({ [fox.designator]: 'webrtc' });
    // The Firefox page transferred its end of the channel (dialling or accepting), piped nothing.
    expect(await handOversOf(fox.page)).toEqual(['channel']);
    await closeTabs([fox, chrome]);
  });
}

test('a 1 MiB argument and its echo cross a Firefox–Chromium data channel intact (chunked into 64 KiB channel messages)', async ({ browser, chromium }) => {
  const fox = await openTab(browser, relay);
  const chrome = await openTab(chromium, relay);
  const uri = await chrome.page.evaluate(() => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('bytes', { echo: (b: Uint8Array) => b }));
  });
  const same = await fox.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const bytes = new Uint8Array(1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const back = await E(await vat.enliven<{ echo(b: Uint8Array): Uint8Array }>(u)).echo(bytes);
    return back instanceof Uint8Array && back.length === bytes.length && back.every((b, i) => b === bytes[i]);
  }, uri);
  expect(same).toBe(true);
  expect(await pathsOf(fox.page)).toEqual({ [chrome.designator]: 'webrtc' });
  await closeTabs([fox, chrome]);
});
