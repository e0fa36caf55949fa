import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyLocation } from '../../src/crypto/index.js';
import { dialectFor, locatorToSyrup, type PeerLocator } from '../../src/wire/index.js';
import { helloFor, makeHello, prepareSessionKey } from '../../src/mesh/handshake.js';
import { cryptoBackendReady, simulateNoNativeBackend } from '../../src/crypto/active-backend.js';

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

describe('helloFor', () => {
  afterEach(() => simulateNoNativeBackend(false));

  it('makes the hello at once where the synchronous backend is ready (Node)', () => {
    const hello = helloFor(here, dialect);
    expect(hello).not.toBeInstanceOf(Promise);
  });

  it('without one (a browser) makes it through the asynchronous backend: a promise, a good signature, and no curves loaded', async () => {
    simulateNoNativeBackend(true);
    const made = helloFor(here, dialect);
    expect(made).toBeInstanceOf(Promise);
    const hello = await made;
    expect(cryptoBackendReady()).toBe(false);
    simulateNoNativeBackend(false);
    expect(verifyLocation(hello.op.sessionPubkey, locatorToSyrup(here), hello.op.locationSig)).toBe(true);
    expect(hello.op.captpVersion).toBe(dialect.captpVersion);
  });
});
