/**
 * The app shell: header, the current view (home, chat or board, chosen by
 * the URL fragment) and the inspector beside it. Views are disposed on
 * navigation so their connections and timers stop.
 */
import type { BrowserVat } from 'capmesh/browser';
import { errorText, h, replace, short } from './dom.js';
import type { AppContext, View } from './context.js';
import { parseRoute, routeHash, type Route } from './links.js';
import type { AppStorage } from './storage.js';
import { openHome } from './home.js';
import { openChat } from './chat/client.js';
import { openBoard } from './board/client.js';
import { openNotes } from './notes/view.js';
import { createInspector } from './inspector.js';
import { relayIndicator } from './relay-status.js';

/** What a link that cannot even be read shows (a truncated copy, usually). */
function brokenLink(error: unknown): View {
  const title = h('h1', { tabindex: '-1', id: 'view-title' }, 'This link does not work');
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'view-title' },
    title,
    h('p', { class: 'error', role: 'alert' }, errorText(error)),
    h('p', {}, 'It may have been cut short when it was copied. Ask for the link again, or ', h('a', { href: '#' }, 'start from the home page'), '.'),
  );
  return { el, focus: title, dispose() {} };
}

export function startApp(root: HTMLElement, vat: BrowserVat, storage: AppStorage, relay: string): void {
  const main = h('main', { id: 'main', class: 'content' });
  const inspector = createInspector(vat, relay);
  const relay$ = relayIndicator(vat);
  const vatBadge = h(
    'span',
    { id: 'vat-status', class: 'vat-badge', 'data-designator': vat.designator, title: `This tab’s vat: ${vat.designator}` },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    ` Your vat ${short(vat.designator, 8)} · `,
    relay$.el,
  );
  const header = h('header', { class: 'top' }, h('a', { class: 'brand', href: '#' }, 'capmesh', h('span', {}, ' demo')), vatBadge);
  replace(root, header, h('div', { class: 'layout' }, main, inspector.el));

  let current: View | undefined;
  const app: AppContext = {
    vat,
    storage,
    navigate(route: Route) {
      const hash = routeHash(route);
      if (location.hash === hash || (hash === '' && location.hash === '')) show(true);
      else location.hash = hash; // hashchange shows it
    },
  };

  const show = (focus: boolean): void => {
    current?.dispose();
    const route = parseRoute(location.hash);
    try {
      current = route.view === 'chat' ? openChat(app, route.uri) : route.view === 'board' ? openBoard(app, route.uri) : route.view === 'notes' ? openNotes(app, route.uri) : openHome(app);
    } catch (e) {
      current = brokenLink(e);
    }
    replace(main, current.el);
    if (focus) current.focus?.focus();
  };
  window.addEventListener('hashchange', () => show(true));
  show(false);
}
