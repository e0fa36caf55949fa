import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyLocation } from '../../src/crypto/index.js';
import { dialectFor, locatorToSyrup, type PeerLocator } from '../../src/wire/index.js';
import { makeHello, prepareSessionKey } from '../../src/mesh/handshake.js';

/** Counts the session key pairs made (below the module under test). */
const made = vi.hoisted(() => ({ keys: 0 }));
vi.mock('../../src/crypto/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/crypto/index.js')>();
  return {
    ...real,
    generateKeyPair: () => {
      made.keys += 1;
      return real.generateKeyPair();
    },
  };
});

const here: PeerLocator = { transport: 'memory', designator: 'a'.repeat(52), hints: null };
const dialect = dialectFor('spec');

describe('makeHello and the session key made ahead of need', () => {
  afterEach(() => void vi.useRealTimers());

  it('prepareSessionKey makes one key a macrotask later; the next hello takes it, the one after makes its own; every hello has its own key', () => {
    vi.useFakeTimers();
    made.keys = 0;
    prepareSessionKey();
    prepareSessionKey(); // a second call before the key was taken does nothing
    expect(made.keys).toBe(0); // not on the caller's turn
    vi.runAllTimers();
    expect(made.keys).toBe(1);
    const first = makeHello(here, dialect);
    expect(made.keys).toBe(1); // the spare one
    const second = makeHello(here, dialect);
    expect(made.keys).toBe(2); // made on demand: a key serves one hello only
    expect(first.keyPair.publicKey).not.toEqual(second.keyPair.publicKey);
    for (const hello of [first, second]) {
      expect(verifyLocation(hello.op.sessionPubkey, locatorToSyrup(here), hello.op.locationSig)).toBe(true);
    }
  });
});
