import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '../../src/persistence/file-store.js';
import { storeContract } from './store-contract.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capmesh-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('fileStore', () => {
  storeContract(async () => fileStore(join(await freshDir(), 'nested', 'store')));

  it('a second store on the same directory (a restart) sees what the first wrote', async () => {
    const dir = await freshDir();
    const first = fileStore(dir);
    await first.set('capmesh/identity', new Uint8Array([1, 2]));
    await first.set('app/x', 'y');
    const second = fileStore(dir, { fsync: false });
    expect(await second.keys()).toEqual(['app/x', 'capmesh/identity']);
    expect(await second.get('capmesh/identity')).toEqual(new Uint8Array([1, 2]));
  });

  it('names files by the hex of the key and leaves no temporary file behind', async () => {
    const dir = await freshDir();
    const store = fileStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('k', i)));
    expect(await readdir(dir)).toEqual(['6b.syr']);
    expect(await store.get('k')).toBe(19n);
  });

  it('sweeps temporary files a killed writer left, and ignores files it did not write', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, '6b.syr.123-1.tmp'), 'half a val');
    await writeFile(join(dir, 'README'), 'not a key');
    await writeFile(join(dir, 'zz.syr'), 'not hex');
    await writeFile(join(dir, 'ff.syr'), '1+'); // hex, but not UTF-8
    const store = fileStore(dir);
    expect(await store.keys()).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['README', 'ff.syr', 'zz.syr']);
  });

  it('a corrupt value rejects with STORE naming the key; other keys still load', async () => {
    const dir = await freshDir();
    const store = fileStore(dir);
    await store.set('good', 1);
    await writeFile(join(dir, '626164.syr'), '[1+2+'); // "bad": a truncated list
    await expect(store.get('bad')).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('"bad"') });
    expect(await store.get('good')).toBe(1n);
  });

  it('a directory it cannot create rejects with STORE', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'file'), 'x');
    const store = fileStore(join(dir, 'file', 'sub'));
    await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE' });
  });
});
