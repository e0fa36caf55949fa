import { E, far } from 'capmesh';
import { startBrowserVat } from 'capmesh/browser';

interface Greeter {
  greet(name: string): string;
}

// This tab's vat: it runs in a worker, registers at the relay, keeps its identity in IndexedDB.
const relay = new URLSearchParams(location.search).get('relay') ?? 'ws://127.0.0.1:8787';
const vat = await startBrowserVat({ relay });

// Offer a greeter. Its sturdyref is all another tab needs to call it.
const me = vat.designator.slice(0, 8);
const uri = await vat.register(far('greeter', { greet: (name: string) => `Hello, ${name}, from ${me}` }));
document.querySelector('#mine')!.textContent = uri;

// Paste another tab's sturdyref and call its greeter: over the same-browser fast path when
// it is a tab of this browser, else directly over WebRTC when a path opens, else through
// the relay (end-to-end encrypted).
document.querySelector('form')!.addEventListener('submit', async (event) => {
  event.preventDefault();
  const theirs = document.querySelector<HTMLInputElement>('#theirs')!.value.trim();
  const greeter = await vat.enliven<Greeter>(theirs);
  const reply = await E(greeter).greet(me);
  const session = (await vat.sessions()).find((s) => theirs.startsWith(`ocapn://${s.designator}.`));
  document.querySelector('#reply')!.textContent = `${reply} (path: ${session?.path})`;
});
