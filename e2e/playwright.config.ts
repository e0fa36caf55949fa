import { defineConfig } from '@playwright/test';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium, findFirefox, firefoxLaunchOptions } from '../src/testing/browser-path.js';

const port = Number(process.env.CAPMESH_E2E_PORT ?? 5174);
const executablePath = findChromium(chromium.executablePath());

/**
 * E2E: real browser tabs against a real relay (started by each test file)
 * and the demo/test pages served by Vite. One worker: WebRTC between several
 * tabs is CPU-heavy on two cores.
 *
 * Two projects:
 * - `chromium`: every story outside e2e/firefox/, in Chromium.
 * - `firefox`: the stories in e2e/firefox/, in Debian's Firefox ESR driven
 *   over WebDriver BiDi (prefs in src/testing/browser-path.ts, the page-side capture step in firefox/engine.ts); some of them open a
 *   Chromium as well, for calls between the two engines.
 *
 * Playwright is pinned to exactly 1.64.1 (package.json, no caret): stock
 * Firefox has no Juggler, so Playwright reaches it only over WebDriver BiDi,
 * and 1.65.x breaks that path against Firefox ESR 153 (every new context
 * fails on `emulation.setMediaFeaturesOverride: unknown command`). Recheck
 * the Firefox stories before moving either Playwright or Firefox ESR.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 90_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: '**/e2e/firefox/**',
      use: { browserName: 'chromium', launchOptions: { args: [...CHROMIUM_ARGS], ...(executablePath ? { executablePath } : {}) } },
    },
    {
      name: 'firefox',
      testMatch: '**/e2e/firefox/*.spec.ts',
      use: { browserName: 'firefox', launchOptions: firefoxLaunchOptions(findFirefox()) },
    },
  ],
  webServer: {
    command: `node node_modules/vite/bin/vite.js --config e2e/vite.config.ts --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/e2e/pages/vat.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
