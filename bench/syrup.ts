/**
 * Syrup codec against JSON: a typical CapTP message, encoded and decoded.
 *
 * The Syrup side is `<op:deliver <desc:export 5> ['greet "Alice" 42
 * [1 [2 3] "x"] <desc:import-object 7>] 3 <desc:import-promise 9>>` built from
 * SyrupRecord/Sym; the baseline is `JSON.stringify` + `JSON.parse` of the
 * equivalent plain object (a string, not bytes — JSON gets no UTF-8 step).
 */
import { decode, encode, record, sym, type SyrupValue } from '../src/syrup/index.js';
import { compare, type BenchRow, type BenchSuite } from './harness.js';
import { recordGoal } from './goals.js';

const message: SyrupValue = record(
  'op:deliver',
  record('desc:export', 5n),
  [sym('greet'), 'Alice', 42n, [1n, [2n, 3n], 'x'], record('desc:import-object', 7n)],
  3n,
  record('desc:import-promise', 9n),
);

const jsonMessage = {
  op: 'deliver',
  to: { desc: 'export', pos: 5 },
  args: ['greet', 'Alice', 42, [1, [2, 3], 'x'], { desc: 'import-object', pos: 7 }],
  answer: 3,
  resolveMe: { desc: 'import-promise', pos: 9 },
};

const encoded = encode(message);
const jsonText = JSON.stringify(jsonMessage);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

const suite: BenchSuite = {
  name: 'syrup',
  run(): BenchRow[] {
    const rows = [
      compare(
        'encode+decode op:deliver',
        () => decode(encode(message)),
        'JSON.stringify+parse',
        () => JSON.parse(JSON.stringify(jsonMessage)) as unknown,
      ),
      compare('encode op:deliver', () => encode(message), 'JSON.stringify', () => JSON.stringify(jsonMessage)),
      compare('decode op:deliver', () => decode(encoded), 'JSON.parse', () => JSON.parse(jsonText) as unknown),
      compare(
        'encode+decode op:deliver',
        () => decode(encode(message)),
        'JSON + UTF-8 bytes',
        () => JSON.parse(textDecoder.decode(textEncoder.encode(JSON.stringify(jsonMessage)))) as unknown,
      ),
    ];
    rows[0]!.note = `${encoded.length} Syrup bytes vs ${jsonText.length} JSON chars`;
    const encodeRow = rows[1]!;
    recordGoal('syrup-encode-vs-json', encodeRow.opsPerSec / encodeRow.baseline!.opsPerSec);
    return rows;
  },
};

export default suite;
