import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A `capmesh` child process for abuse tests: started through the real
 * `bin/capmesh.mjs` with a small V8 heap (`--max-old-space-size`, default
 * 256 MiB) so a test that makes it allocate fails fast instead of swapping,
 * and with its memory readable from `/proc/<pid>/status` (Linux).
 *
 * `startTestPeerChild(args)` runs `capmesh test-peer --port 0 …args` and
 * resolves once the peer URI (its first stdout line) is out; it rejects if
 * the process exits first. `stop()` sends SIGTERM and resolves with the exit
 * code once the process is gone (and its pipes drained).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CAPMESH_BIN = fileURLToPath(new URL('../../bin/capmesh.mjs', import.meta.url));

export interface ChildMemory {
  /** Resident set size now, in KiB (`VmRSS`). */
  readonly rssKiB: number;
  /** Peak resident set size since the process started, in KiB (`VmHWM`). */
  readonly peakKiB: number;
  /**
   * Private writable memory mapped now, in KiB (`VmData`): what the process
   * has allocated, touched or not. A large zero-filled buffer is mapped
   * lazily — it counts here at once, but in RSS only as its pages are written.
   */
  readonly dataKiB: number;
}

export interface AbuseChild {
  readonly uri: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** The child's memory now, from `/proc/<pid>/status`. */
  memory(): ChildMemory;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AbuseChildOptions {
  /** The child's `--max-old-space-size`, in MiB. Default 256. */
  readonly maxOldSpaceMiB?: number;
}

export function startTestPeerChild(args: readonly string[], options: AbuseChildOptions = {}): Promise<AbuseChild> {
  const heap = options.maxOldSpaceMiB ?? 256;
  const child = spawn(process.execPath, [`--max-old-space-size=${heap}`, CAPMESH_BIN, 'test-peer', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const onData = (d: string): void => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      const pid = child.pid!;
      resolve({
        uri: stdout.slice(0, nl),
        child,
        pid,
        stderr: () => stderr,
        memory: () => readMemory(pid),
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

/** `VmRSS`, `VmHWM` and `VmData` of process `pid`, in KiB. */
export function readMemory(pid: number): ChildMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM'), dataKiB: field('VmData') };
}
