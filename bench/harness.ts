/**
 * A small benchmark harness. Benchmarks are measurements, not tests: nothing
 * here asserts or fails on time; results are printed as ratios against a
 * baseline measured in the same run, on the same machine.
 *
 * A bench module default-exports a `BenchSuite`; `bench/run.ts` lists the
 * modules to run (one line each).
 */

export interface MeasureOptions {
  /** Time spent running the function before measuring (JIT warm-up). Default 300 ms. */
  warmupMs?: number;
  /** Measuring time. Default 1000 ms, or `BENCH_TIME_MS` from the environment. */
  timeMs?: number;
  /** Stop after this many operations even if `timeMs` has not elapsed. */
  maxOps?: number;
}

export interface Measurement {
  ops: number;
  ms: number;
  opsPerSec: number;
}

/** One line of the results table. */
export interface BenchRow {
  name: string;
  opsPerSec: number;
  /** What the row is compared with, measured in the same run. */
  baseline?: { name: string; opsPerSec: number };
  note?: string;
}

export interface BenchSuite {
  name: string;
  run(): Promise<BenchRow[]> | BenchRow[];
}

/** Results are stored here so the JIT cannot drop the measured work. */
export let sink: unknown;

function defaultTimeMs(): number {
  const env = Number(process.env.BENCH_TIME_MS);
  return Number.isFinite(env) && env > 0 ? env : 1000;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

function runFor(fn: () => unknown, ms: number, maxOps: number): Measurement {
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms && ops < maxOps) {
    const n = Math.min(batch, maxOps - ops);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink = fn();
    const t1 = performance.now();
    ops += n;
    elapsed = t1 - start;
    // Grow batches until one takes ~10 ms, so reading the clock costs nothing.
    if (t1 - t0 < 10) batch *= 2;
  }
  return { ops, ms: elapsed, opsPerSec: (ops * 1000) / elapsed };
}

/** Warms `fn` up, then runs it for a fixed time (or op count) and reports ops/s. */
export function measure(fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const maxOps = options.maxOps ?? Number.POSITIVE_INFINITY;
  runFor(fn, options.warmupMs ?? 300, maxOps);
  collectGarbage();
  return runFor(fn, options.timeMs ?? defaultTimeMs(), maxOps);
}

/** Measures `fn` and `baseline` alternately (two rounds each) and returns one row with the better round of each. */
export function compare(
  name: string,
  fn: () => unknown,
  baselineName: string,
  baseline: () => unknown,
  options: MeasureOptions = {},
): BenchRow {
  const half = { ...options, timeMs: (options.timeMs ?? defaultTimeMs()) / 2 };
  let best = 0;
  let bestBase = 0;
  for (let round = 0; round < 2; round++) {
    best = Math.max(best, measure(fn, half).opsPerSec);
    bestBase = Math.max(bestBase, measure(baseline, half).opsPerSec);
  }
  return { name, opsPerSec: best, baseline: { name: baselineName, opsPerSec: bestBase } };
}

function formatOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}

/** The rows as an aligned text table: name, ops/s, baseline, baseline ops/s, ratio. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'ops/s', 'baseline', 'baseline ops/s', 'ratio'];
  const lines = rows.map((r) => [
    r.name,
    formatOps(r.opsPerSec),
    r.baseline?.name ?? '',
    r.baseline === undefined ? '' : formatOps(r.baseline.opsPerSec),
    r.baseline === undefined ? '' : `${(r.opsPerSec / r.baseline.opsPerSec).toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const notes = rows.filter((r) => r.note !== undefined).map((r) => `  ${r.name}: ${r.note}`);
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt), ...notes].join('\n');
}
