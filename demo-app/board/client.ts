/**
 * A tab's side of a board: keeps the board reachable, subscribes, and turns
 * the user's edits into calls on whatever facet the link gave. The mode badge
 * comes from the facet's own `describe()`; the authority does not: a
 * read-only facet has no edit methods, so the host refuses the call, and the
 * refusal is what the user sees.
 */
import { E, far, isCapmeshError, parseSturdyRef, type Remote } from 'capmesh';
import { keepConnected, isDisconnection } from '../connection.js';
import { errorText, short } from '../dom.js';
import type { AppContext, View } from '../context.js';
import { shareLink } from '../links.js';
import { createBoardView } from './view.js';
import type { BoardEditor, BoardListener, BoardMode, BoardSnapshot } from './types.js';

export function openBoard(app: AppContext, uri: string): View {
  const { vat } = app;
  const hostDesignator = parseSturdyRef(uri).peer.designator;
  let board: Remote<BoardEditor> | undefined;
  let mode: BoardMode = 'read-only';
  let version = 0;

  const show = (snap: BoardSnapshot): void => {
    if (Number(snap.version) < version) return;
    version = Number(snap.version);
    view.setItems(snap.items.map((i) => ({ id: Number(i.id), text: String(i.text), done: i.done === true })));
  };
  const listener = far('board listener', { update: show, ping: () => true } satisfies BoardListener);

  const edit = async (what: string, call: (b: Remote<BoardEditor>) => Promise<unknown>): Promise<void> => {
    if (!board) {
      view.error(`Cannot ${what} now: not connected to the board.`);
      throw new Error('not connected');
    }
    try {
      await call(board);
    } catch (e) {
      if (isCapmeshError(e) && e.code === 'NO_SUCH_METHOD') {
        view.error(`Refused: this is a read-only link, so you cannot ${what}. The board’s host answered: ${e.message}`, true);
      } else if (isDisconnection(e)) {
        // The vat notices the session ended too, and the connection reconnects by itself.
        view.error(`Could not ${what}: the connection to the board was lost (reconnecting).`);
      } else {
        view.error(`Could not ${what}: ${errorText(e)}`);
      }
      throw e;
    }
  };

  const view = createBoardView({
    add: (text) => edit('add items', (b) => E(b).add(text)),
    toggle: (id) => edit('tick items', (b) => E(b).toggle(id)),
    remove: (id) => edit('remove items', (b) => E(b).remove(id)),
  });

  const connection = keepConnected<BoardEditor>(vat, uri, {
    onState(state, detail) {
      if (state !== 'connected') board = undefined;
      view.status.set(state, detail);
    },
    async onConnected(ref) {
      const about = (await E(ref).describe()) as { title: string; mode: BoardMode };
      mode = about.mode === 'editor' ? 'editor' : 'read-only';
      view.setTitle(String(about.title));
      view.setMode(mode);
      version = 0;
      show((await E(ref).subscribe(listener as unknown as Remote<BoardListener>)) as BoardSnapshot);
      if (mode === 'editor') {
        const readOnly = String(await E(ref).readOnlyLink());
        view.setLinks({ editor: shareLink({ view: 'board', uri }), readOnly: shareLink({ view: 'board', uri: readOnly }) });
      } else {
        view.setLinks({ readOnly: shareLink({ view: 'board', uri }) });
      }
      board = ref;
    },
  });

  view.setHost(
    hostDesignator === vat.designator
      ? 'Hosted by this tab: the board lives in this tab’s storage.'
      : `Hosted by the vat ${short(hostDesignator, 16)} (another tab).`,
  );

  return {
    el: view.el,
    focus: view.el.querySelector('h1') ?? undefined,
    dispose: () => connection.close(),
  };
}
