import * as Y from 'yjs';
import { createVat, memoryStore, type EngineVat, type Store } from '../../src/index.js';
import type { MemoryNetwork } from '../../src/testing.js';
import type { JoinStatus } from '../../src/yjs/index.js';

/** Vats made by a test, closed after it. */
export const vats: EngineVat[] = [];

export async function vatOn(network: MemoryNetwork, store?: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  vats.push(vat);
  return vat;
}

export async function closeVats(): Promise<void> {
  await Promise.all(vats.splice(0).map((v) => v.close()));
}

export { memoryStore };

/** True when every doc has the same state vector and the same text under `key`. */
export function same(docs: readonly Y.Doc[], key = 't'): boolean {
  const sv = Y.encodeStateVector(docs[0]!).join(',');
  const text = docs[0]!.getText(key).toString();
  return docs.every((d) => Y.encodeStateVector(d).join(',') === sv && d.getText(key).toString() === text);
}

/** Resolves once `docs` agree (checked after each update of any of them): an event, not a sleep. */
export function converged(docs: readonly Y.Doc[], key = 't'): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!same(docs, key)) return;
      for (const d of docs) d.off('update', check);
      resolve();
    };
    for (const d of docs) d.on('update', check);
    check();
  });
}

/** Resolves with `predicate`'s first true result over the doc's updates. */
export function whenText(doc: Y.Doc, predicate: (text: string) => boolean, key = 't'): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      const text = doc.getText(key).toString();
      if (!predicate(text)) return;
      doc.off('update', check);
      resolve(text);
    };
    doc.on('update', check);
    check();
  });
}

/** A status recorder for `joinDoc`'s `onStatus`, with a way to await a given status. */
export function statusLog(): { seen: JoinStatus[]; onStatus(s: JoinStatus): void; next(s: JoinStatus): Promise<void> } {
  const seen: JoinStatus[] = [];
  let waiters: { status: JoinStatus; resolve(): void }[] = [];
  return {
    seen,
    onStatus(s) {
      seen.push(s);
      const hit = waiters.filter((w) => w.status === s);
      waiters = waiters.filter((w) => w.status !== s);
      for (const w of hit) w.resolve();
    },
    next(status) {
      return new Promise((resolve) => waiters.push({ status, resolve }));
    },
  };
}
