import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVat, E, parseSturdyRef, type Vat } from '../../src/index.js';
import { fileStore, tcpTestingOnlyNetlayer } from '../../src/node.js';
import { loadOrCreateIdentity, ObjectRecords } from '../../src/persistence/index.js';
import { designatorOf } from '../../src/crypto/index.js';

/**
 * Real restarts: the vat runs in a child process (test/fixtures/persistent-vat.ts)
 * with a file store, is killed with SIGKILL, and is started again on the same
 * store and port.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/persistent-vat.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the first JSON line (from now on) that `accept` takes. */
  next<T>(accept: (line: Record<string, unknown>) => T | undefined): Promise<T>;
  stderr(): string;
  kill(): Promise<void>;
}

const children: Child[] = [];
const dirs: string[] = [];
const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await Promise.all(vats.splice(0).map((v) => v.close()));
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

type Phase = 'saved' | 'open' | 'half' | 'rename' | 'renamed';

function start(dir: string, port: number, mode: 'counter' | 'burst', freeze?: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(port), mode, ...(freeze ? [freeze] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const listeners = new Set<(line: Record<string, unknown>) => void>();
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    for (const l of [...listeners]) l(line);
  });
  const child: Child = {
    proc,
    next: (accept) =>
      new Promise((resolve, reject) => {
        const onExit = (): void => reject(new Error(`the child exited early: ${err}`));
        proc.once('exit', onExit);
        const listener = (line: Record<string, unknown>): void => {
          const value = accept(line);
          if (value === undefined) return;
          listeners.delete(listener);
          proc.off('exit', onExit);
          resolve(value);
        };
        listeners.add(listener);
      }),
    stderr: () => err,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  children.push(child);
  return child;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capmesh-restart-'));
  dirs.push(dir);
  return dir;
}

interface Ready {
  uri: string;
  designator: string;
  fresh: boolean;
}
const ready = (line: Record<string, unknown>): Ready | undefined => (line['ready'] ? (line as unknown as Ready) : undefined);

describe('a persistent object survives a real restart (child process, SIGKILL)', () => {
  it('same URI, same designator, saved state', async () => {
    const dir = await freshDir();
    const port = await freePort();
    let child = start(dir, port, 'counter');
    const first = await child.next(ready);
    expect(first.fresh).toBe(true);

    const bob = await createVat({ netlayers: [tcpTestingOnlyNetlayer({ port: 0 })] });
    vats.push(bob);
    const counter = await bob.enliven<{ increment(): bigint; read(): bigint }>(first.uri);
    expect(await E(counter).increment()).toBe(1n);
    expect(await E(counter).increment()).toBe(2n);

    const ended = bob.whenSessionEnds(parseSturdyRef(first.uri).peer);
    await child.kill();
    expect((await ended).code).toMatch(/^(DISCONNECTED|ABORTED)$/);
    await expect(E(counter).read()).rejects.toMatchObject({ code: expect.stringMatching(/^(DISCONNECTED|ABORTED)$/) });

    child = start(dir, port, 'counter');
    const second = await child.next(ready);
    expect(second).toEqual({ ready: true, uri: first.uri, designator: first.designator, fresh: false });
    const again = await bob.enliven<{ read(): bigint }>(first.uri);
    expect(await E(again).read()).toBe(2n);
  });

  it('crash safety: killed at every point of a save (and between saves), the store loads the old or the new state', async () => {
    const dir = await freshDir();
    const port = await freePort();
    let designator: string | undefined;
    let uri: string | undefined;
    let durable = -1n;
    // [where the kill lands, which write of that process (or which acknowledged save)]
    const rounds: [Phase, number][] = [['saved', 3], ['open', 2], ['half', 3], ['rename', 1], ['renamed', 2], ['half', 1], ['saved', 1]];
    for (const [round, [phase, k]] of rounds.entries()) {
      const child = start(dir, port, 'burst', phase === 'saved' ? undefined : `${phase}:${k}`);
      let writing = -1n;
      let acknowledged = durable;
      let saves = 0;
      const watched = child.next((line) => {
        if (line['writing'] !== undefined) writing = BigInt(line['writing'] as string);
        if (line['saved'] !== undefined) {
          acknowledged = BigInt(line['saved'] as string);
          if (phase === 'saved' && ++saves === k) return true;
        }
        return line['frozen'] === phase ? true : undefined;
      });
      const up = await child.next(ready);
      expect(up.fresh).toBe(round === 0);
      uri ??= up.uri;
      designator ??= up.designator;
      expect([up.uri, up.designator]).toEqual([uri, designator]);
      await watched;
      await child.kill();

      // Look at the store from this process while nobody else has it open.
      const leftovers = (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
      const store = fileStore(dir);
      const identity = await loadOrCreateIdentity(store);
      expect(designatorOf(identity.publicKey)).toBe(designator);
      expect(await store.get('app/uri')).toBe(uri);
      const record = await new ObjectRecords(store).load(parseSturdyRef(uri).swiss);
      expect(record?.kind).toBe('ledger');
      const state = record!.data as { n: bigint; blob: Uint8Array };
      expect(state.blob.length).toBe(256 * 1024);
      expect(state.blob.every((b) => b === Number(state.n % 256n))).toBe(true);
      expect(state.n).toBeGreaterThanOrEqual(acknowledged);
      if (phase === 'saved') {
        expect(state.n).toBeLessThanOrEqual(writing);
      } else {
        // Killed inside the write of `writing`: the old state before the rename, the new one after.
        expect(state.n).toBe(phase === 'renamed' ? writing : writing - 1n);
        expect(leftovers).toHaveLength(phase === 'renamed' ? 0 : 1);
      }
      expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]); // swept on open
      expect(state.n).toBeGreaterThanOrEqual(durable); // never goes back
      durable = state.n;
    }
    // Seven child processes, each started and killed: give a loaded machine room (the default is 30 s).
  }, 120_000);
});
