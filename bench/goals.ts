/**
 * The performance goals of issue 16 as one table. `npm run bench` and
 * `npm run bench:browser` (and `bench:yjs`) each record the rows they
 * measure with {@link recordGoal} and end by printing the whole table with
 * {@link printGoalTable}: every row, its figure from the issue ("before"),
 * this run's figure, the goal and whether it is met; a row another script
 * measures says which one. Nothing here fails on a missed goal: benchmarks
 * print, tests assert.
 */

/** Which way a row's figure is better. */
type Better = 'higher' | 'lower';

export interface GoalSpec {
  /** What is measured, said the way the issue says it. */
  readonly what: string;
  /** The unit the figure is printed in (`×`, `KB`, `ms`, `/s`). */
  readonly unit: string;
  readonly goal: number;
  readonly better: Better;
  /** The figure when issue 16 was filed (as text: some were ranges). */
  readonly before: string;
  /** The script that measures the row. */
  readonly script: 'bench' | 'bench:browser' | 'bench:yjs';
}

export const GOALS = {
  'ws-call-vs-raw-echo': { what: 'call round trip over loopback WebSocket vs raw ws echo (calls/s ratio)', unit: '×', goal: 0.67, better: 'higher', before: '0.45–0.48×', script: 'bench' },
  'ws-call-vs-capnweb': { what: 'same, vs capnweb over the same WebSocket', unit: '×', goal: 1.5, better: 'higher', before: '1.26–1.38×', script: 'bench' },
  'webrtc-worker-vs-raw': { what: 'WebRTC call worker ↔ worker vs raw data channel in a worker (RTT ratio)', unit: '×', goal: 1.25, better: 'lower', before: '1.36–1.41×', script: 'bench:browser' },
  'webrtc-page-vs-raw': { what: 'WebRTC call page ↔ page vs raw data channel (RTT ratio)', unit: '×', goal: 1.5, better: 'lower', before: '2.5×', script: 'bench:browser' },
  'bundle-worker-gz': { what: 'minimal app worker bundle, Vite build, gzip -9', unit: 'KB', goal: 30, better: 'lower', before: '58.6 KB', script: 'bench:browser' },
  'bundle-page-gz': { what: 'minimal app page bundle, Vite build, gzip -9', unit: 'KB', goal: 12, better: 'lower', before: '41.6 KB', script: 'bench:browser' },
  'relay-echo-vs-direct': { what: 'raw echo through a relay circuit vs raw ws forwarder echo (rate ratio)', unit: '×', goal: 0.33, better: 'higher', before: '0.10× (4.9k/s vs 50k/s, against a direct echo then)', script: 'bench' },
  'relay-throughput-vs-raw': { what: 'relay path throughput vs a raw WebSocket forwarder', unit: '×', goal: 0.7, better: 'higher', before: '0.38× (against direct raw then)', script: 'bench' },
  'relay-registrations': { what: 'relay registrations per second', unit: '/s', goal: 5000, better: 'higher', before: '439/s', script: 'bench' },
  'syrup-encode-vs-json': { what: 'Syrup encode vs JSON.stringify', unit: '×', goal: 1.0, better: 'higher', before: '0.72×', script: 'bench' },
  'first-call-ms': { what: 'enliven → first answer between two fresh tabs, loopback (median)', unit: 'ms', goal: 300, better: 'lower', before: 'not measured (0.2–0.9 s reported)', script: 'bench:browser' },
  'same-browser-rtt-ms': { what: 'same-browser fast path call RTT (median)', unit: 'ms', goal: 0.25, better: 'lower', before: 'no fast path', script: 'bench:browser' },
  'yjs-vs-y-webrtc-p50': { what: 'capmesh/yjs update tab → tab vs y-webrtc, p50 ratio (issue 19)', unit: '×', goal: 1.5, better: 'lower', before: '2.17×', script: 'bench:yjs' },
} as const satisfies Record<string, GoalSpec>;

export type GoalKey = keyof typeof GOALS;

const measured = new Map<GoalKey, { value: number; note?: string }>();

/** Records this run's figure for a row (the last record wins). */
export function recordGoal(key: GoalKey, value: number, note?: string): void {
  measured.set(key, note === undefined ? { value } : { value, note });
}

/** This run's figure for a row, if recorded. */
export function recordedGoal(key: GoalKey): number | undefined {
  return measured.get(key)?.value;
}

function figure(value: number, unit: string): string {
  const digits = unit === '×' ? 2 : value < 10 ? 2 : value < 100 ? 1 : 0;
  const n = value.toFixed(digits);
  return unit === '×' ? `${n}×` : `${n} ${unit}`;
}

/** The whole table as text, one row per goal (see the module comment). */
export function formatGoalTable(): string {
  const header = ['goal row', 'before', 'this run', 'goal', 'met'];
  const rows = Object.entries(GOALS).map(([key, spec]) => {
    const m = measured.get(key as GoalKey);
    const goal = `${spec.better === 'higher' ? '≥' : '≤'} ${figure(spec.goal, spec.unit)}`;
    if (m === undefined) return [spec.what, spec.before, `(measured by npm run ${spec.script})`, goal, ''];
    const met = spec.better === 'higher' ? m.value >= spec.goal : m.value <= spec.goal;
    return [spec.what, spec.before, `${figure(m.value, spec.unit)}${m.note ? ` (${m.note})` : ''}`, goal, met ? 'yes' : 'NO'];
  });
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Prints {@link formatGoalTable} under a title. */
export function printGoalTable(): void {
  process.stdout.write(`\nIssue 16 goals (benchmarks print; nothing fails on a missed goal)\n${formatGoalTable()}\n`);
}
