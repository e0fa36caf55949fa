/**
 * A real coturn (`turnserver`) for e2e stories: started on loopback with a
 * temporary directory, the TURN REST API secret (`--use-auth-secret`) and
 * relaying between loopback peers, on a free port. `stop()` kills it and
 * removes the directory. A missing `turnserver` is a failure (.ci/run
 * installs Debian's `coturn`), never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TurnServer {
  readonly port: number;
  /** `turn:127.0.0.1:port?transport=udp`. */
  readonly url: string;
  /** Everything it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** A TCP port free right now on 127.0.0.1 (coturn listens on it for TCP and UDP). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startTurnServer(secret: string, binary = process.env.CAPMESH_TURNSERVER ?? '/usr/bin/turnserver'): Promise<TurnServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'capmesh-coturn-'));
  const args = [
    '-n', // no config file: everything is on this line
    '-v',
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=capmesh',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--no-tls',
    '--no-dtls',
    '--allow-loopback-peers',
    '--no-cli',
    '--cli-password=x',
    '--fingerprint',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    '--log-file=stdout',
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const listening = `UDP listener opened on: 127.0.0.1:${port}`;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(listening)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => reject(new Error(`cannot start ${binary} (install coturn): ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`turnserver exited (${code}) before listening:\n${output.slice(-2000)}`)));
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // never started: nothing to wait for
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, url: `turn:127.0.0.1:${port}?transport=udp`, log: () => output, stop };
}
