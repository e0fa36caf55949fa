/**
 * The demo's entry: picks this tab's identity, starts its vat (in a worker,
 * with the page-hosted kinds for rooms and boards), then the app. Boot
 * progress and failures are shown in the page, not only the console.
 *
 * Query parameters: `profile=N` (use identity slot N instead of the first
 * free one). The home relay is configured, not taken from the link (see
 * config.ts); a `?relay=` in a link is ignored.
 */
import { startBrowserVat, type BrowserVat, type PageKindMaker } from 'capmesh/browser';
import { DIRECT_TIMEOUT_MS, LIVENESS, RELAY_SETTING_KEY, relayUrl } from './config.js';
import { errorText, h, replace } from './dom.js';
import { DEMO_STORE, pinnedIdentity, pinnedSlot, profileFor } from './profile.js';
import { appStorage } from './storage.js';
import { startApp } from './app.js';
import { yjsKinds } from 'capmesh/yjs';
import { restoreHostedNotes } from './notes/host.js';
import { ROOM_KIND, makeRoom } from './chat/room.js';
import { BOARD_KIND, BOARD_READER_KIND, makeBoard, makeBoardReader, type BoardHostEnv } from './board/board.js';

declare global {
  interface Window {
    /** For tests and curious users: this tab's vat handle. */
    capmeshDemo?: { vat: BrowserVat };
  }
}

const root = document.getElementById('app')!;
const params = new URLSearchParams(location.search);
const relay = relayUrl();
if (params.has('relay') && params.get('relay') !== relay) {
  console.warn(`capmesh demo: ignoring ?relay=${params.get('relay')} from the link; this tab's home relay is ${relay} (set localStorage['${RELAY_SETTING_KEY}'] to change it)`);
}

/** The kinds this page hosts. Their makers may run before `startBrowserVat` returns, so the vat is late-bound. */
function hostedKinds(vatReady: Promise<BrowserVat>): Record<string, PageKindMaker> {
  const peerGone = new Set<() => void>();
  void vatReady.then((vat) => vat.on('peer-disconnected', () => peerGone.forEach((fn) => fn())));
  const env: BoardHostEnv = {
    onPeerGone(fn) {
      peerGone.add(fn);
      return () => void peerGone.delete(fn);
    },
    registerPersistent: async (kind, data) => (await vatReady).registerPersistent(kind, data),
    enliven: async (uri) => (await vatReady).enliven(uri),
  };
  return {
    [ROOM_KIND]: (data, ctx) => makeRoom(data, ctx, env),
    [BOARD_KIND]: (data, ctx) => makeBoard(data, ctx, env),
    [BOARD_READER_KIND]: (data) => makeBoardReader(data, env) as unknown as object,
    ...yjsKinds(),
  };
}

function bootMessage(text: string, detail?: string): void {
  replace(
    root,
    h('div', { class: 'boot', role: 'status', 'aria-live': 'polite' }, h('h1', {}, 'capmesh demo'), h('p', {}, text), detail ? h('p', { class: 'muted' }, detail) : null),
  );
}

async function boot(): Promise<void> {
  bootMessage('Starting this tab’s vat…', `Connecting to the relay at ${relay}`);
  const slow = setTimeout(
    () => bootMessage('Still connecting to the relay…', `Is it running at ${relay}? \`npm start\` starts one; localStorage['${RELAY_SETTING_KEY}'] = 'ws://host:port' picks another.`),
    8_000,
  );
  try {
    const pinned = pinnedSlot(params.get('profile'));
    let resolveVat!: (vat: BrowserVat) => void;
    const vatReady = new Promise<BrowserVat>((r) => (resolveVat = r));
    const vat = await startBrowserVat({
      relay,
      ...(pinned === undefined ? { store: DEMO_STORE } : pinnedIdentity(pinned)),
      worker: new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'capmesh demo vat' }),
      kinds: hostedKinds(vatReady),
      directTimeoutMs: DIRECT_TIMEOUT_MS,
      liveness: LIVENESS,
    });
    resolveVat(vat);
    clearTimeout(slow);
    window.capmeshDemo = { vat };
    const storage = appStorage(profileFor(pinned ?? vat.slot));
    restoreHostedNotes(vat, storage);
    startApp(root, vat, storage, relay);
  } catch (e) {
    clearTimeout(slow);
    const retry = h('button', { type: 'button' }, 'Try again');
    retry.addEventListener('click', () => location.reload());
    replace(
      root,
      h(
        'div',
        { class: 'boot' },
        h('h1', {}, 'capmesh demo'),
        h('p', { class: 'error', role: 'alert' }, `This tab’s vat could not start: ${errorText(e)}`),
        h('p', { class: 'muted' }, `Relay: ${relay}. Is it running? \`npm start\` starts one.`),
        retry,
      ),
    );
  }
}

void boot();
