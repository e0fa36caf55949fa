import { CapmeshError } from '../util/errors.js';
import { utf8Encode } from '../util/bytes.js';
import { decode } from '../syrup/decode.js';
import { encode } from '../syrup/encode.js';
import type { SyrupValue } from '../syrup/types.js';

/**
 * What a vat keeps across restarts, behind one small asynchronous interface:
 * its identity key, its persistent object records, and whatever the app puts
 * beside them.
 *
 * - **Keys** are non-empty strings of at most {@link MAX_KEY_BYTES} UTF-8
 *   bytes. Use `/`-separated namespaces (`capmesh/…` is the vat's own; see
 *   {@link namespaced}).
 * - **Values** are anything Syrup can encode (`SyrupValue`): byte strings
 *   (`Uint8Array`) for raw bytes, structs, lists, bigints… A value is encoded
 *   when it is set and decoded afresh on each `get`, so the caller never shares
 *   a mutable object with the store, and what comes back is the Syrup reading
 *   of it (integers come back as `bigint`). The top-level value `undefined` is
 *   refused: `get` uses it to say "absent"; use `delete` instead.
 * - **Ordering**: operations on one key take effect in the order they were
 *   called, and a `get` sees every `set`/`delete` of its key called before it.
 *   A `set` is durable (as far as the backend can promise) once its promise
 *   resolves.
 * - **Failure**: a bad key or value rejects with `INVALID_ARGUMENT` /
 *   `SYRUP_UNENCODABLE` before anything is written; backend trouble or a stored
 *   value that does not decode rejects with `CapmeshError('STORE')`.
 *
 * One store belongs to one vat (one process, one tab) at a time.
 */
export interface Store {
  /** The value under `key`, or `undefined` when there is none. */
  get(key: string): Promise<SyrupValue | undefined>;
  /** Replaces the value under `key`. */
  set(key: string, value: SyrupValue): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix` (default: all), sorted by UTF-16 code units. */
  keys(prefix?: string): Promise<string[]>;
}

/** Longest key, in UTF-8 bytes (so a file store can use the key's hex as a file name within 255 bytes). */
export const MAX_KEY_BYTES = 120;

/** Throws `INVALID_ARGUMENT` unless `key` is a usable store key. */
export function checkKey(key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${name}\` must be a non-empty string`, { detail: { argument: name } });
  }
  if (utf8Encode(key).length > MAX_KEY_BYTES) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${name}\` is longer than ${MAX_KEY_BYTES} UTF-8 bytes`, { detail: { argument: name } });
  }
  if (!key.isWellFormed()) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${name}\` has a lone surrogate`, { detail: { argument: name } });
  }
}

/** Encodes a value for storage; throws as described in {@link Store}. */
export function encodeValue(key: string, value: SyrupValue): Uint8Array {
  if (value === undefined) {
    throw new CapmeshError('INVALID_ARGUMENT', `cannot store \`undefined\` under "${key}"; use delete()`);
  }
  return encode(value);
}

/**
 * What we wrote ourselves is not hostile input: only the depth stays bounded
 * (the encoder refuses deeper values anyway, so it matches).
 */
const STORED_LIMITS = {
  maxBytes: Number.MAX_SAFE_INTEGER,
  maxItems: Number.MAX_SAFE_INTEGER,
  maxStringBytes: Number.MAX_SAFE_INTEGER,
  maxIntegerDigits: 1_000_000,
  maxDepth: 64,
  maxNodes: Number.MAX_SAFE_INTEGER,
} as const;

/** Decodes stored bytes; a value that does not decode is a `STORE` fault naming the key. */
export function decodeValue(key: string, bytes: Uint8Array): SyrupValue {
  try {
    return decode(bytes, STORED_LIMITS);
  } catch (e) {
    throw new CapmeshError('STORE', `the stored value of "${key}" is corrupt`, { cause: e, detail: { key } });
  }
}

/** Wraps a backend fault as `CapmeshError('STORE')` (a CapmeshError passes through). */
export function storeFault(what: string, e: unknown): CapmeshError {
  if (e instanceof CapmeshError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CapmeshError('STORE', `${what}: ${message}`, { cause: e });
}

/**
 * A view of `store` in which every key is prefixed by `${namespace}/`. Keys
 * listed by the view come back without the prefix. Views nest.
 */
export function namespaced(store: Store, namespace: string): Store {
  checkKey(namespace, 'namespace');
  const prefix = `${namespace}/`;
  return {
    get: (key) => {
      checkKey(key);
      return store.get(prefix + key);
    },
    set: (key, value) => {
      checkKey(key);
      return store.set(prefix + key, value);
    },
    delete: (key) => {
      checkKey(key);
      return store.delete(prefix + key);
    },
    keys: async (sub = '') => (await store.keys(prefix + sub)).map((k) => k.slice(prefix.length)),
  };
}

/**
 * Runs operations one after another per key, so a store whose backend could
 * reorder them (a file store's renames, overlapping transactions) keeps call
 * order per key. A failed operation does not stop the ones queued after it.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(op, op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
