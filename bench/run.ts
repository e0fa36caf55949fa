/**
 * `npm run bench [-- <filter>]`: runs every registered bench module in
 * sequence and prints one table. A filter runs only the suites whose name
 * contains it. Set `BENCH_TIME_MS` to change the measuring time per case.
 *
 * To add a bench module, add one line to SUITES.
 */
import { formatTable, type BenchRow, type BenchSuite } from './harness.js';
import { printGoalTable } from './goals.js';

const SUITES: (() => Promise<{ default: BenchSuite }>)[] = [
  () => import('./syrup.js'),
  () => import('./engine.js'),
  () => import('./relay.js'),
];

async function main(): Promise<void> {
  const filter = process.argv[2];
  const rows: BenchRow[] = [];
  for (const load of SUITES) {
    const suite = (await load()).default;
    if (filter !== undefined && !suite.name.includes(filter)) continue;
    process.stdout.write(`running ${suite.name}…\n`);
    for (const row of await suite.run()) rows.push({ ...row, name: `${suite.name}: ${row.name}` });
  }
  process.stdout.write(`\n${formatTable(rows)}\n`);
  printGoalTable();
}

await main();
