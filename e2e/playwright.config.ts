import { defineConfig } from '@playwright/test';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../src/testing/browser-path.js';

const port = Number(process.env.CAPMESH_E2E_PORT ?? 5174);
const executablePath = findChromium(chromium.executablePath());

/**
 * E2E: real Chromium tabs against a real relay (started by each test file)
 * and the demo/test pages served by Vite. One worker: WebRTC between several
 * tabs is CPU-heavy on two cores.
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
    launchOptions: { args: [...CHROMIUM_ARGS], ...(executablePath ? { executablePath } : {}) },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `node node_modules/vite/bin/vite.js --config e2e/vite.config.ts --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/e2e/pages/vat.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
