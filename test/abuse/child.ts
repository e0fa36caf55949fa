import { readFileSync } from 'node:fs';
import { startTestPeerProcess, type TestPeerProcess } from '../conformance/harness/test-peer-process.js';

/**
 * Child processes for the abuse suite, and their memory. Each victim runs
 * with a small V8 heap (`--max-old-space-size`, default 256 MiB) so a test
 * that makes it allocate fails fast instead of swapping; its memory is read
 * from `/proc/<pid>/status` (Linux).
 */

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

/** `capmesh test-peer` with a small heap, and its memory. */
export interface AbuseChild extends TestPeerProcess {
  readonly pid: number;
  /** The child's memory now, from `/proc/<pid>/status`. */
  memory(): ChildMemory;
}

export interface AbuseChildOptions {
  /** The child's `--max-old-space-size`, in MiB. Default 256. */
  readonly maxOldSpaceMiB?: number;
}

/** Runs `capmesh test-peer --port 0 …args` with a small heap; resolves once its peer URI is out. */
export async function startTestPeerChild(args: readonly string[], options: AbuseChildOptions = {}): Promise<AbuseChild> {
  const peer = await startTestPeerProcess(args, { nodeArgs: [`--max-old-space-size=${options.maxOldSpaceMiB ?? 256}`] });
  const pid = peer.child.pid!;
  return { ...peer, pid, memory: () => readMemory(pid) };
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
