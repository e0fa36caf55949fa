/**
 * First call between two fresh tabs (issue 16, item 5): for each of `runs`
 * runs, two new browser contexts (fresh tabs, fresh identities) load the e2e
 * vat page against the running relay; tab B registers an echo object in its
 * worker, tab A calls `vat.enliven(uri)` then `E(echo).ping(…)` from the page,
 * and the time from the `enliven` call to the first answer is the figure
 * (`first-call-ms`, the median). A measurement, not a test: nothing fails on
 * time.
 *
 * Where the time went: an init script wraps `RTCPeerConnection` in both tabs
 * (before the vat starts) and stamps, in epoch milliseconds, when the page's
 * RTC broker made the peer connection, set its descriptions, gathered, added
 * remote candidates, and when ICE, DTLS (`connectionState`) and SCTP reached
 * `connected`. Each milestone is printed as its median offset from the
 * `enliven` call (tabs of one machine share the clock). What follows SCTP up to
 * the answer is the OCapN start-session handshake plus the call itself; a warm
 * call's round trip is printed beside it. The path the first answer came over
 * (`webrtc` or `relay`) is read at once after it, and, for a first call on the
 * relay path, the time until the session moved to the direct path.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS } from '../src/testing/browser-path.js';
import { loadVatPage } from '../src/testing/playwright.js';
import { recordGoal } from './goals.js';

/** Runs (each with two fresh tabs). `BENCH_FIRST_CALL_RUNS`, default 20. */
const RUNS = Number(process.env.BENCH_FIRST_CALL_RUNS ?? 20);
/** How long a run may wait for the direct path after a first call on the relay path. */
const DIRECT_WAIT_MS = 15_000;

interface Stamp {
  readonly name: string;
  readonly t: number;
}

/** Runs in each tab before its scripts: wraps RTCPeerConnection to stamp milestones on `window.__firstCall`. */
function instrument(): void {
  const w = window as unknown as { __firstCall: { name: string; t: number }[] };
  w.__firstCall = [];
  const stamp = (name: string): void => {
    w.__firstCall.push({ name, t: performance.timeOrigin + performance.now() });
  };
  const Native = window.RTCPeerConnection;
  class Stamped extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      stamp('pc-created');
      this.addEventListener('icegatheringstatechange', () => stamp(`gathering-${this.iceGatheringState}`));
      this.addEventListener('iceconnectionstatechange', () => stamp(`ice-${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => stamp(`dtls-${this.connectionState}`));
      this.addEventListener('icecandidate', (e) => stamp(e.candidate ? 'local-candidate' : 'local-candidates-end'));
    }
    override setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
      return super.setLocalDescription(d).then(() => {
        stamp(`local-${this.localDescription?.type ?? '?'}`);
        const sctp = this.sctp;
        if (sctp && !(sctp as unknown as { stamped?: boolean }).stamped) {
          (sctp as unknown as { stamped?: boolean }).stamped = true;
          sctp.addEventListener('statechange', () => stamp(`sctp-${sctp.state}`));
        }
      });
    }
    override setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      stamp(`remote-${d.type}`);
      return super.setRemoteDescription(d);
    }
    override addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
      stamp(c?.candidate ? 'remote-candidate' : 'remote-candidates-end');
      return super.addIceCandidate(c ?? undefined);
    }
  }
  window.RTCPeerConnection = Stamped;
}

interface Run {
  readonly firstCallMs: number;
  readonly warmCallMs: number;
  readonly path: string;
  /** From `enliven` to the direct path (the same as `firstCallMs` when the first call went direct). */
  readonly directMs: number | undefined;
  /** Milestone → offset from `enliven`, ms (`A:` the caller's tab, `B:` the callee's). */
  readonly milestones: Map<string, number>;
  readonly registrationMs: number;
}

async function freshTab(browser: Browser, baseURL: string, relay: string): Promise<{ context: BrowserContext; page: Page; designator: string; ms: number }> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS], baseURL });
  // tsx (esbuild keepNames) wraps named functions in `__name(…)`: the page gets a no-op one, for this script and the evaluates below.
  await context.addInitScript({ content: `globalThis.__name = (f) => f; (${instrument.toString()})();` });
  const page = await context.newPage();
  const t0 = performance.now();
  const designator = await loadVatPage(page, { path: '/e2e/pages/vat.html', query: { relay, worker: 'test' } });
  return { context, page, designator, ms: performance.now() - t0 };
}

async function oneRun(browser: Browser, baseURL: string, relay: string): Promise<Run> {
  const b = await freshTab(browser, baseURL, relay);
  const a = await freshTab(browser, baseURL, relay);
  try {
    const uri = await b.page.evaluate(async () => {
      const { vat, E } = window.capmeshTest;
      return E(await vat.extension<{ registerEcho(): string }>()).registerEcho();
    });
    const result = await a.page.evaluate(
      async ([sturdyref, peer, directWaitMs]) => {
        const { vat, E } = window.capmeshTest;
        const now = (): number => performance.timeOrigin + performance.now();
        let directAt: number | undefined;
        const direct = new Promise<void>((resolve) => {
          vat.on('path-changed', (d) => {
            if ((d as { designator?: string; to?: string }).designator === peer && (d as { to?: string }).to === 'webrtc') {
              directAt ??= now();
              resolve();
            }
          });
        });
        const t0 = now();
        const echo = await vat.enliven<{ ping(x: Uint8Array): Uint8Array }>(sturdyref);
        await E(echo).ping(new Uint8Array(64));
        const t1 = now();
        const path = (await vat.sessions()).find((s) => s.designator === peer)?.path ?? 'none';
        const w0 = now();
        await E(echo).ping(new Uint8Array(64));
        const warm = now() - w0;
        if (path === 'webrtc') directAt = t1;
        else await Promise.race([direct, new Promise((r) => setTimeout(r, directWaitMs))]);
        return { t0, t1, warm, path, directAt: directAt ?? null };
      },
      [uri, b.designator, DIRECT_WAIT_MS] as const,
    );
    const stamps = async (page: Page): Promise<Stamp[]> => page.evaluate(() => (window as unknown as { __firstCall: Stamp[] }).__firstCall);
    const milestones = new Map<string, number>();
    for (const [tab, page] of [['A', a.page], ['B', b.page]] as const) {
      for (const s of await stamps(page)) {
        const key = `${tab}:${s.name}`;
        // First occurrence only: the first peer connection is the one the first call waits for.
        if (!milestones.has(key) && s.t >= result.t0) milestones.set(key, s.t - result.t0);
      }
    }
    return {
      firstCallMs: result.t1 - result.t0,
      warmCallMs: result.warm,
      path: result.path,
      directMs: result.directAt === null ? undefined : result.directAt - result.t0,
      milestones,
      registrationMs: a.ms,
    };
  } finally {
    await a.context.close();
    await b.context.close();
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const p90 = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * 0.9)]!;

/**
 * Measures and prints the first-call figures (see the module note) against
 * the relay at `relay`, the e2e pages served at `baseURL`; records
 * `first-call-ms`.
 */
export async function firstCallFigures(browser: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(browser, base.baseURL, base.relay));
  const first = runs.map((r) => r.firstCallMs);
  const paths = new Map<string, number>();
  for (const r of runs) paths.set(r.path, (paths.get(r.path) ?? 0) + 1);
  const direct = runs.flatMap((r) => (r.directMs === undefined ? [] : [r.directMs]));
  const line = (name: string, value: string): void => console.log(`    ${name.padEnd(52)} ${value}`);
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  console.log(`\nFirst call between two fresh tabs (${RUNS} runs, each with 2 new contexts); loadavg ${(await loadavg()).trim()}`);
  line('enliven → first answer, median (p90)', `${ms(median(first))} (p90 ${ms(p90(first))})`);
  line('path of the first answer', [...paths].map(([p, n]) => `${p} ×${n}`).join(', '));
  line(`enliven → direct path, median (${direct.length}/${RUNS} reached it)`, direct.length > 0 ? `${ms(median(direct))} (p90 ${ms(p90(direct))})` : 'never');
  line('a warm call afterwards, median', ms(median(runs.map((r) => r.warmCallMs))));
  line('fresh tab: page load → vat registered at the relay, median', ms(median(runs.map((r) => r.registrationMs))));
  console.log('  milestones, median offset from enliven (A = caller tab, B = callee tab; runs that saw it)');
  const names = new Set<string>();
  for (const r of runs) for (const k of r.milestones.keys()) names.add(k);
  const rows = [...names].map((n) => {
    const xs = runs.flatMap((r) => (r.milestones.has(n) ? [r.milestones.get(n)!] : []));
    return { n, at: median(xs), seen: xs.length };
  });
  rows.sort((x, y) => x.at - y.at);
  for (const r of rows) line(r.n, `${ms(r.at).padStart(10)}  (${r.seen}/${RUNS})`);
  line('first answer', ms(median(first)).padStart(10));
  console.log('  segments, median of each run\'s difference (runs that saw both ends)');
  const segments: [string, string, string][] = [
    ['enliven → the broker makes the peer connection (page → worker → netlayer)', '', 'A:pc-created'],
    ['the offer made (setLocalDescription)', 'A:pc-created', 'A:local-offer'],
    ['the offer signalled (sign, relay, check, broker)', 'A:local-offer', 'B:remote-offer'],
    ['the answer made', 'B:remote-offer', 'B:local-answer'],
    ['the answer signalled (sign, relay, check, broker)', 'B:local-answer', 'A:remote-answer'],
    ['ICE checking → connected, at the caller', 'A:remote-answer', 'A:ice-connected'],
    ['DTLS, at the caller', 'A:ice-connected', 'A:dtls-connected'],
    ['SCTP open, at the caller', 'A:dtls-connected', 'A:sctp-connected'],
    ['OCapN handshake, fetch and the first call', 'A:sctp-connected', 'answer'],
  ];
  for (const [name, from, to] of segments) {
    const xs = runs.flatMap((r) => {
      const start = from === '' ? 0 : r.milestones.get(from);
      const end = to === 'answer' ? r.firstCallMs : r.milestones.get(to);
      return start === undefined || end === undefined ? [] : [end - start];
    });
    line(name, xs.length > 0 ? `${ms(median(xs)).padStart(10)}  (${xs.length}/${RUNS})` : 'not seen');
  }
  const note = `${[...paths].map(([p, n]) => `${p} ×${n}`).join(', ')}; p90 ${p90(first).toFixed(0)} ms`;
  recordGoal('first-call-ms', median(first), note);
}

async function loadavg(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile('/proc/loadavg', 'utf8').catch(() => 'n/a');
}
