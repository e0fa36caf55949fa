import { describe, expect, it } from 'vitest';
import { closeOnPageHide, type PageLifecycleTarget } from '../../src/browser/page-lifecycle.js';

function pageHide(persisted: boolean): Event {
  return Object.assign(new Event('pagehide'), { persisted });
}

describe('closeOnPageHide', () => {
  it('says goodbye once, synchronously, on a pagehide that is not persisted', () => {
    const window = new EventTarget();
    let goodbyes = 0;
    closeOnPageHide(window as unknown as PageLifecycleTarget, () => goodbyes++);
    window.dispatchEvent(pageHide(false));
    expect(goodbyes).toBe(1);
    window.dispatchEvent(pageHide(false));
    expect(goodbyes).toBe(1);
  });

  it('keeps the vat on a bfcache pagehide (persisted) and still says goodbye on a later final one', () => {
    const window = new EventTarget();
    let goodbyes = 0;
    closeOnPageHide(window as unknown as PageLifecycleTarget, () => goodbyes++);
    window.dispatchEvent(pageHide(true));
    expect(goodbyes).toBe(0);
    window.dispatchEvent(pageHide(false));
    expect(goodbyes).toBe(1);
  });

  it('stops watching when the returned function is called (the vat was closed otherwise)', () => {
    const window = new EventTarget();
    let goodbyes = 0;
    const stop = closeOnPageHide(window as unknown as PageLifecycleTarget, () => goodbyes++);
    stop();
    window.dispatchEvent(pageHide(false));
    expect(goodbyes).toBe(0);
  });
});
