/**
 * The connection banner every shared view shows: one line saying whether the
 * object is reachable, and why not. It is a polite live region, so screen
 * readers hear "Reconnecting…" and "Connected" without losing their place.
 */
import { h } from './dom.js';
import type { LinkState } from './connection.js';

const TEXT: Record<LinkState, string> = {
  connecting: 'Connecting to the host…',
  connected: 'Connected',
  reconnecting: 'Connection lost — reconnecting…',
  'host-offline': 'Host offline — the tab that hosts this is closed or unreachable. Waiting for it to come back…',
  failed: 'This link does not work',
  closed: 'Closed',
};

export interface StatusBanner {
  readonly el: HTMLElement;
  set(state: LinkState, detail?: string): void;
  readonly state: LinkState;
}

export function statusBanner(): StatusBanner {
  const text = h('strong', { class: 'status-text' });
  const detail = h('span', { class: 'status-detail' });
  const el = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-state': 'connecting' }, text, ' ', detail);
  let current: LinkState = 'connecting';
  const banner: StatusBanner = {
    el,
    get state() {
      return current;
    },
    set(state, why) {
      current = state;
      el.dataset['state'] = state;
      text.textContent = TEXT[state];
      // The technical reason helps when something is wrong; "host offline" says it plainly already.
      const shown = state === 'reconnecting' || state === 'failed';
      detail.textContent = shown && why ? `(${why})` : '';
      el.title = why ?? '';
    },
  };
  banner.set('connecting');
  return banner;
}
