/**
 * The notes this tab's identity hosts. Each is a `Y.Doc` shared with
 * `shareDoc` and kept in a page-side IndexedDB database of its own (one per
 * identity slot), so a reload restores the text and serves the same links.
 * Every hosted note is shared again when the app boots, not only when its
 * page is open: members may reconnect at any time.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { BrowserVat } from 'capmesh/browser';
import { indexedDbStore } from 'capmesh/browser';
import { shareDoc, type SharedDoc } from 'capmesh/yjs';
import type { Store } from 'capmesh';
import type { AppStorage } from '../storage.js';

export interface HostedNotes {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly share: SharedDoc;
}

const hosted = new Map<string, Promise<HostedNotes>>();
let store: Store | undefined;

function notesStore(vat: BrowserVat): Store {
  store ??= indexedDbStore(`capmesh-demo-notes-${vat.slot}`);
  return store;
}

function share(vat: BrowserVat, name: string, title?: string): Promise<HostedNotes> {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  return shareDoc(vat, doc, { store: notesStore(vat), name, awareness }).then(async (s) => {
    if (title !== undefined && doc.getMap('meta').get('title') === undefined) {
      doc.getMap('meta').set('title', title);
      await s.saved();
    }
    return { doc, awareness, share: s };
  });
}

/** Makes new notes titled `title`; returns their links once they are saved. */
export async function createNotes(vat: BrowserVat, storage: AppStorage, title: string): Promise<HostedNotes> {
  const name = `n${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const notes = await share(vat, name, title);
  hosted.set(notes.share.editor, Promise.resolve(notes));
  storage.addHosted({ kind: 'notes', title, uri: notes.share.editor, readOnlyUri: notes.share.viewer, shareName: name });
  return notes;
}

/** Shares again every note this identity hosts (at boot). */
export function restoreHostedNotes(vat: BrowserVat, storage: AppStorage): void {
  for (const t of storage.hosted()) {
    if (t.kind !== 'notes' || t.shareName === undefined || hosted.has(t.uri)) continue;
    const p = share(vat, t.shareName);
    p.catch((e: unknown) => console.warn(`capmesh demo: could not share notes “${t.title}” again`, e));
    hosted.set(t.uri, p);
  }
}

/** The hosted notes whose editor or viewer link is `uri`, if this tab hosts them. */
export function hostedNotes(storage: AppStorage, uri: string): Promise<HostedNotes> | undefined {
  const t = storage.hosted().find((h) => h.kind === 'notes' && (h.uri === uri || h.readOnlyUri === uri));
  return t ? hosted.get(t.uri) : undefined;
}
