import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, greetOrError, openTabs, registerGreeter, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

/**
 * A host tab that closes says goodbye on `pagehide`: its peer connections
 * close on the spot and its worker's relay socket goes, so the other tab
 * learns at once instead of after its liveness checks (10–12 s before).
 * The deadline (5 s) only separates "told" from "found out by timeout"; the
 * measured figures are logged.
 */
for (const path of ['webrtc', 'relay'] as const) {
  test(`a closed host tab is noticed at once on the ${path} path: peer-disconnected, and a call fails at once`, async ({ browser }) => {
    const tabs = await openTabs(browser, relay, 2, path === 'relay' ? { directPaths: '0' } : {});
    const [host, guest] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
    const uri = await registerGreeter(host.page, 'Hello from the host');
    expect(await greet(guest.page, uri, 'guest')).toBe('Hello from the host, guest');
    expect(await pathsOf(guest.page)).toEqual({ [host.designator]: path });

    const closedAt = Date.now();
    await host.page.close();
    // Sent right after the tab is gone, on the reference enlivened before.
    const call = greetOrError(guest.page, uri, 'guest').then((result) => ({ result, ms: Date.now() - closedAt }));
    await waitForVatEvent(guest.page, 'peer-disconnected', { designator: host.designator }, 5_000);
    const noticedMs = Date.now() - closedAt;
    const { result, ms: callMs } = await call;
    console.log(`goodbye on the ${path} path: peer-disconnected ${noticedMs} ms after page.close(), the call failed after ${callMs} ms with ${result}`);
    // DISCONNECTED when the connection went first; ABORTED when the host's worker got its op:abort ("the vat is closing") out first.
    expect(result).toMatch(/^(DISCONNECTED|ABORTED): /);
    expect(callMs).toBeLessThan(5_000);
    expect(await pathsOf(guest.page)).toEqual({});
    await closeTabs(tabs);
  });
}
