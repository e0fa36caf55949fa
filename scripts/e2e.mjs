#!/usr/bin/env node
// `npm run test:e2e`: finds a Chromium (Playwright's own if installed, else
// /usr/bin/chromium), installs one if there is none — Debian's `chromium`
// package when we can use apt (root), else Playwright's download — and runs
// the Playwright suite. It never skips: no browser is a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const systemPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const have = () => [process.env.CAPMESH_CHROMIUM, chromium.executablePath(), ...systemPaths].some((p) => p && existsSync(p));

if (!have()) {
  console.log('e2e: no Chromium found; installing one');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    execFileSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit' });
  }
  if (!have()) {
    console.error('e2e: could not install Chromium; set CAPMESH_CHROMIUM to a Chromium binary');
    process.exit(1);
  }
}

const result = spawnSync('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
