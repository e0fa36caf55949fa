import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { request } from 'node:http';
import { onCleanup } from '../relay/helpers.js';
import { readMemory } from './child.js';

const CLI = fileURLToPath(new URL('../../bin/capmesh.mjs', import.meta.url));

/** One JSON log line of the relay (`relay/log.ts`). */
export interface RelayLogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * A real `capmesh relay` child process (`--max-old-space-size=256`, debug
 * logs), stopped after the test. Tests await its log lines instead of
 * sleeping: `logged(predicate)` resolves with the first line, past or future,
 * that matches.
 */
export interface ChildRelay {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logs: readonly RelayLogLine[];
  logged(predicate: (line: RelayLogLine) => boolean): Promise<RelayLogLine>;
  /** `GET /healthz` as JSON (from `OTHER_ADDRESS`); rejects when the relay does not answer. */
  health(): Promise<{ status: string; connections: number; sockets: number; registered: number; circuits: number }>;
  /** A counter or gauge from `/metrics`, e.g. `capmesh_relay_drops_total{reason="throttled"}`. */
  metric(name: string): Promise<number>;
  /** Peak resident memory so far (VmHWM), in KiB. */
  peakRssKiB(): number;
  /** True while the process runs. */
  alive(): boolean;
}

export async function childRelay(flags: readonly string[] = []): Promise<ChildRelay> {
  const child: ChildProcess = spawn(process.execPath, ['--max-old-space-size=256', CLI, 'relay', '--port', '0', '--log-level', 'debug', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  onCleanup(async () => {
    if (!exited) child.kill('SIGTERM');
    await exit;
  });
  const logs: RelayLogLine[] = [];
  const watchers: { predicate: (line: RelayLogLine) => boolean; resolve: (line: RelayLogLine) => void }[] = [];
  createInterface({ input: child.stderr! }).on('line', (text) => {
    let line: RelayLogLine;
    try {
      line = JSON.parse(text) as RelayLogLine;
    } catch {
      line = { level: 'raw', msg: text };
    }
    logs.push(line);
    for (const w of [...watchers]) {
      if (w.predicate(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`capmesh relay exited (${code}) before printing its URL: ${logs.map((l) => l.msg).join('; ')}`)));
  });
  const port = Number(new URL(url).port);
  const pid = child.pid!;
  return {
    url,
    port,
    pid,
    logs,
    logged(predicate) {
      const seen = logs.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => watchers.push({ predicate, resolve }));
    },
    async health() {
      return JSON.parse(await httpGet(port, '/healthz')) as Awaited<ReturnType<ChildRelay['health']>>;
    },
    async metric(name) {
      const text = await httpGet(port, '/metrics');
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`no metric ${name}`);
      return Number(line.slice(name.length + 1));
    },
    peakRssKiB: () => readMemory(pid).peakKiB,
    alive: () => !exited,
  };
}

/**
 * Attackers in these tests connect from 127.0.0.1; the test's own look-ups
 * and well-behaved peers come from this other loopback address, so the
 * per-address caps the attackers trip do not apply to them.
 */
export const OTHER_ADDRESS = '127.0.0.2';

/** GET `path` from the relay, from `OTHER_ADDRESS`. */
function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: OTHER_ADDRESS }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A cut of `reason` logged by the relay. */
export const cutFor =
  (reason: string) =>
  (line: RelayLogLine): boolean =>
    line.msg === 'connection cut' && line.reason === reason;

/** Records a figure for the report (peak RSS, recovery time), one line on stdout. */
export function figure(test: string, values: Record<string, number | string>): void {
  console.log(`[figure] ${test}: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
