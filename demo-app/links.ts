/**
 * Routes and share links. A link carries a sturdyref in its fragment
 * (`#chat=ocapn://…` or `#board=ocapn://…`): the fragment never reaches the
 * web server, so the server that serves the page never sees the capability.
 * The query string is not part of a link: in particular no `?relay=`, which
 * the app ignores anyway (a link must not choose the opener's home relay).
 * The sturdyref itself names the host's relay, which the opener's vat
 * reaches dial-only.
 */
export type Route = { readonly view: 'home' } | { readonly view: 'chat' | 'board' | 'notes'; readonly uri: string };

export function parseRoute(hash: string): Route {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const chat = params.get('chat');
  if (chat) return { view: 'chat', uri: chat };
  const board = params.get('board');
  if (board) return { view: 'board', uri: board };
  const notes = params.get('notes');
  if (notes) return { view: 'notes', uri: notes };
  return { view: 'home' };
}

export function routeHash(route: Route): string {
  if (route.view === 'home') return '';
  return `#${route.view}=${encodeURIComponent(route.uri)}`;
}

/** The full URL someone else opens to reach `route`. */
export function shareLink(route: Route): string {
  return `${location.origin}${location.pathname}${routeHash(route)}`;
}

/** Reads a pasted share link into a route, or undefined. */
export function routeFromPaste(text: string): Route | undefined {
  const trimmed = text.trim();
  const hashAt = trimmed.indexOf('#');
  if (hashAt < 0) return undefined;
  const route = parseRoute(trimmed.slice(hashAt));
  return route.view === 'home' ? undefined : route;
}
