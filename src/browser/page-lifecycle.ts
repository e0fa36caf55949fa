/**
 * Goodbyes when the page goes away.
 *
 * A tab that closes without a word is noticed by its peers only when their
 * liveness checks give up (seconds). `pagehide` is the last event a document
 * reliably gets, and it is synchronous: anything asynchronous started there
 * may not finish before the document (and with it its worker) is destroyed.
 * So the goodbye is whatever the page can do at once — close the RTC
 * broker's peer connections (their data channels close cleanly and the peer
 * ends the session at `closing`) and post a close to the worker (which sends
 * `op:abort` and closes its relay socket if it still runs; if it is killed
 * first, the socket drops and the relay ends its circuits all the same).
 *
 * bfcache: a `pagehide` with `persisted === true` means the page may come
 * back (back/forward cache). Then nothing is closed: the browser freezes the
 * page and its worker, and either restores both (`pageshow`, the vat goes on;
 * connections the browser cut in between reconnect as after any network
 * drop) or evicts them later (peers then notice as for a frozen peer, by
 * liveness). Chromium does not keep pages with open WebRTC connections in
 * the bfcache at all, so that case is rare.
 */

/** The event shape used: `PageTransitionEvent.persisted`. */
export interface PageHideLike {
  readonly persisted?: boolean;
}

/** Where `pagehide` is listened for (the page's `window`). */
export interface PageLifecycleTarget {
  addEventListener(type: 'pagehide', listener: (event: PageHideLike) => void): void;
  removeEventListener(type: 'pagehide', listener: (event: PageHideLike) => void): void;
}

/**
 * Calls `goodbye` once, synchronously, on the first `pagehide` that is not
 * persisted; persisted ones are ignored (see the module note). Returns a
 * function that stops watching (call it when the vat is closed otherwise).
 * `goodbye` must not throw; if it does, the error propagates to the event
 * dispatch (reported by the browser) and the watch is over all the same.
 */
export function closeOnPageHide(target: PageLifecycleTarget, goodbye: () => void): () => void {
  const onPageHide = (event: PageHideLike): void => {
    if (event.persisted === true) return;
    target.removeEventListener('pagehide', onPageHide);
    goodbye();
  };
  target.addEventListener('pagehide', onPageHide);
  return () => target.removeEventListener('pagehide', onPageHide);
}
