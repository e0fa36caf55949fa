import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex, toHex, utf8Decode, utf8Encode } from '../util/bytes.js';
import { assertNonEmptyString } from '../util/assert.js';
import type { SyrupValue } from '../syrup/types.js';
import { checkKey, decodeValue, encodeValue, KeyedQueue, storeFault, type Store } from './store.js';

export interface FileStoreOptions {
  /**
   * `fsync` each written file and the directory after each rename (default
   * true). Without it a write still never leaves a torn file after the
   * *process* dies, but an operating-system crash or power loss may lose
   * the latest writes.
   */
  readonly fsync?: boolean;
}

const SUFFIX = '.syr';
const TEMP_SUFFIX = '.tmp';
const NAME = /^(?:[0-9a-f]{2})+\.syr$/;

/**
 * A {@link Store} in a directory, for Node: one file per key, named by the
 * hex of the key's UTF-8 bytes, holding the value's Syrup bytes.
 *
 * **Crash safety.** A `set` writes the new bytes to a temporary file in the
 * same directory, fsyncs it, renames it over the key's file (atomic on POSIX
 * file systems) and fsyncs the directory. So a process killed at any moment —
 * SIGKILL included — leaves every key holding either its old or its new
 * value, never a mix. Temporary files a killed process left behind are
 * removed when the store is next opened.
 *
 * The directory is created on first use. It must belong to one store object
 * in one process at a time: opening it sweeps temporary files, which would
 * break another writer's rename. Operations on one key run in call order;
 * on different keys they overlap.
 */
export function fileStore(dir: string, options: FileStoreOptions = {}): Store {
  assertNonEmptyString(dir, 'dir');
  const fsync = options.fsync ?? true;
  const queue = new KeyedQueue();
  let temps = 0;
  let ready: Promise<void> | undefined;

  const open_ = (): Promise<void> =>
    (ready ??= (async () => {
      try {
        await mkdir(dir, { recursive: true });
        for (const name of await readdir(dir)) {
          if (name.endsWith(TEMP_SUFFIX)) await unlink(join(dir, name)).catch(ignoreMissing);
        }
      } catch (e) {
        ready = undefined;
        throw storeFault(`cannot open the file store at ${dir}`, e);
      }
    })());

  const fileOf = (key: string): string => join(dir, toHex(utf8Encode(key)) + SUFFIX);

  const syncDir = async (): Promise<void> => {
    if (!fsync) return;
    let handle;
    try {
      handle = await open(dir, 'r');
      await handle.sync();
    } catch {
      // Some platforms (Windows) cannot fsync a directory; the rename itself is still atomic.
    } finally {
      await handle?.close();
    }
  };

  const write = async (key: string, bytes: Uint8Array): Promise<void> => {
    const target = fileOf(key);
    // Short, so a long key's file name (up to 244 bytes) still has room in a 255-byte name limit.
    const temp = join(dir, `${process.pid}-${++temps}${TEMP_SUFFIX}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        if (fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw storeFault(`cannot write "${key}"`, e);
    }
    await syncDir();
  };

  return {
    async get(key: string): Promise<SyrupValue | undefined> {
      checkKey(key);
      await open_();
      return queue.run(key, async () => {
        let bytes: Uint8Array;
        try {
          bytes = await readFile(fileOf(key));
        } catch (e) {
          if (isMissing(e)) return undefined;
          throw storeFault(`cannot read "${key}"`, e);
        }
        return decodeValue(key, bytes);
      });
    },
    async set(key: string, value: SyrupValue): Promise<void> {
      checkKey(key);
      const bytes = encodeValue(key, value);
      await open_();
      return queue.run(key, () => write(key, bytes));
    },
    async delete(key: string): Promise<void> {
      checkKey(key);
      await open_();
      return queue.run(key, async () => {
        try {
          await unlink(fileOf(key));
        } catch (e) {
          if (isMissing(e)) return;
          throw storeFault(`cannot delete "${key}"`, e);
        }
        await syncDir();
      });
    },
    async keys(prefix = ''): Promise<string[]> {
      await open_();
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        throw storeFault(`cannot list the file store at ${dir}`, e);
      }
      const keys: string[] = [];
      for (const name of names) {
        if (!NAME.test(name)) continue;
        let key: string;
        try {
          key = utf8Decode(fromHex(name.slice(0, -SUFFIX.length)));
        } catch {
          continue; // not a name this store wrote
        }
        if (key.startsWith(prefix)) keys.push(key);
      }
      return keys.sort();
    },
  };
}

function isMissing(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

function ignoreMissing(e: unknown): void {
  if (!isMissing(e)) throw e;
}
