import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A free TCP port on loopback (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `child` printed a line matching `pattern` on `stream`; rejects if it exits first. */
function lineMatching(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child[stream]! });
    const onExit = (code: number | null): void => reject(new Error(`${what} exited (${code}) before printing ${pattern}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!pattern.test(line)) return;
      child.off('exit', onExit);
      resolve(line);
    });
  });
}

/** A real `redis-server` on a free loopback port, with no persistence, in a temp dir. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills it (SIGKILL) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts a fresh, empty redis-server on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  close(): Promise<void>;
  /** SIGSTOP / SIGCONT: Redis hangs with its connections open. */
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'capmesh-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await lineMatching(c, 'stdout', /Ready to accept connections/, 'redis-server');
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    c.kill('SIGCONT');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once `check` returns a value other than undefined/false, checking
 * every 20 ms (state held by other processes: Redis, relay nodes); rejects
 * naming `what` after `timeoutMs`.
 */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A relay node as a real `capmesh relay --cluster` process. */
export interface RelayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'capmesh.mjs');

export async function spawnRelayNode(redisUrl: string, nodeId: string, extra: readonly string[] = []): Promise<RelayProcess> {
  const child = spawn(process.execPath, [BIN, 'relay', '--port', '0', '--cluster', redisUrl, '--node-id', nodeId, '--cluster-heartbeat-ms', '200', '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const url = await lineMatching(child, 'stdout', /^ws:\/\//, `relay node ${nodeId}`);
  return {
    url,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
