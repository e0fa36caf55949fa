#!/usr/bin/env node
// `npm run test:e2e`: finds the two browsers the suite drives and installs
// any that is missing, then runs the Playwright suite (both projects unless
// `--project` says otherwise). It never skips: a missing browser is a failure.
// - Chromium (project `chromium`, and the cross-engine Firefox stories):
//   CAPMESH_CHROMIUM, Playwright's own if installed, else /usr/bin/chromium;
//   installs Debian's `chromium` when we can use apt (root), else
//   Playwright's download.
// - Firefox ESR (project `firefox`): CAPMESH_FIREFOX, else
//   /usr/bin/firefox-esr; installs Debian's `firefox-esr` (root and apt
//   only: Playwright's Firefox download is its Juggler build, not the stock
//   Firefox the stories drive over WebDriver BiDi).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const args = process.argv.slice(2);
const chromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const firefoxPaths = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];
const haveChromium = () => [process.env.CAPMESH_CHROMIUM, chromium.executablePath(), ...chromiumPaths].some((p) => p && existsSync(p));
const haveFirefox = () => [process.env.CAPMESH_FIREFOX, ...firefoxPaths].some((p) => p && existsSync(p));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = isRoot && existsSync('/usr/bin/apt-get');
let aptUpdated = false;
const aptInstall = (pkg) => {
  if (!aptUpdated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  aptUpdated = true;
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};

// Which projects run: every one, unless --project=… / --project … names some.
const projects = args.flatMap((a, i) => (a.startsWith('--project=') ? [a.slice(10)] : a === '--project' ? [args[i + 1] ?? ''] : []));
const runs = (name) => projects.length === 0 || projects.includes(name);

// The firefox project's cross-engine stories need Chromium as well.
if (!haveChromium()) {
  console.log('e2e: no Chromium found; installing one');
  if (canApt) aptInstall('chromium');
  else execFileSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit' });
  if (!haveChromium()) {
    console.error('e2e: could not install Chromium; set CAPMESH_CHROMIUM to a Chromium binary');
    process.exit(1);
  }
}
if (runs('firefox') && !haveFirefox()) {
  console.log('e2e: no Firefox ESR found; installing one');
  if (canApt) aptInstall('firefox-esr');
  if (!haveFirefox()) {
    console.error("e2e: could not install Firefox ESR (needs root and apt-get); install Debian's firefox-esr or set CAPMESH_FIREFOX to a stock Firefox binary");
    process.exit(1);
  }
}

const result = spawnSync('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
