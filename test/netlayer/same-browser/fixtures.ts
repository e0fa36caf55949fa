/** Shared pieces of the same-browser tests: keys, a presence a test controls, a message waiter. */
import { designatorOf, designatorSigner, generateKeyPair, keyPairDesignatorKey, type KeyPair } from '../../../src/crypto/index.js';
import type { DesignatorSigner } from '../../../src/crypto/index.js';
import type { Presence } from '../../../src/netlayer/same-browser/presence.js';

export interface TestIdentity {
  readonly keyPair: KeyPair;
  readonly designator: string;
  readonly signer: DesignatorSigner;
}

export function identity(): TestIdentity {
  const keyPair = generateKeyPair();
  return { keyPair, designator: designatorOf(keyPair.publicKey), signer: designatorSigner(keyPairDesignatorKey(keyPair)) };
}

/** A presence whose locks a test releases by hand (`kill`), as a closing tab would. */
export function testPresence(): { presence: Presence; held: string[]; kill(name: string): void; watchers(name: string): number } {
  const held: string[] = [];
  const gone = new Set<string>();
  const waiting = new Map<string, Set<() => void>>();
  const kill = (name: string): void => {
    gone.add(name);
    for (const w of waiting.get(name) ?? []) w();
    waiting.delete(name);
  };
  return {
    held,
    kill,
    watchers: (name) => waiting.get(name)?.size ?? 0,
    presence: {
      async hold() {
        const name = `lock-${held.length + 1}`;
        held.push(name);
        return { name, release: () => kill(name) };
      },
      whenGone(name, signal) {
        return new Promise<void>((resolve) => {
          if (gone.has(name)) return resolve();
          const set = waiting.get(name) ?? new Set();
          waiting.set(name, set);
          set.add(resolve);
          signal.addEventListener('abort', () => set.delete(resolve));
        });
      },
    },
  };
}

/** The next message on `port` (sets its `onmessage`). */
export function nextMessage<T = Record<string, unknown>>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => {
    port.onmessage = (e: MessageEvent) => resolve(e.data as T);
  });
}
