import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `capmesh test-peer` as a child process, the way the OCapN suite meets it:
 * started through the real `bin/capmesh.mjs`, its peer URI read from the first
 * line of stdout, stopped with SIGTERM.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CAPMESH_BIN = fileURLToPath(new URL('../../../bin/capmesh.mjs', import.meta.url));

export interface TestPeerProcess {
  readonly uri: string;
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stderr contains `text` (stderr and stdout are separate pipes: neither waits for the other). */
  stderrContains(text: string): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `nodeArgs` go before the script (e.g. `--max-old-space-size=256` to run the peer with a small heap). */
export function startTestPeerProcess(args: readonly string[], options: { nodeArgs?: readonly string[] } = {}): Promise<TestPeerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CAPMESH_BIN, 'test-peer', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stderrContains = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (stderr.includes(text)) return resolve();
      const check = (): void => {
        if (!stderr.includes(text)) return;
        child.stderr!.off('data', check);
        resolve();
      };
      child.stderr!.on('data', check);
    });
  // 'close' comes after the process exited and its pipes drained, so stderr is complete by then.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const onData = (d: string): void => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      resolve({
        uri: stdout.slice(0, nl),
        child,
        stderr: () => stderr,
        stderrContains,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    void exited.then((code) => reject(new Error(`test-peer exited (${code}) before printing its URI:\n${stderr}`)));
  });
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `capmesh <args>` to completion. */
export function runCapmesh(args: readonly string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CAPMESH_BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
