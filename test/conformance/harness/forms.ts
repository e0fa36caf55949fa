import { expect } from 'vitest';
import type { SyrupRecord } from '../../../src/syrup/types.js';
import type { Dialect } from '../../../src/wire/index.js';
import type { Received } from './raw-session.js';

/**
 * The exact record forms each suite revision accepts from the peer (notes §7,
 * "version traps"): suite 6c146dc crashes on `op:deliver … f f` and knows only
 * the singular GC labels; 5bfcde9 dropped `op:deliver-only`; the spec and
 * Endo use the plural GC labels.
 */

/** A resolver notification (fire-and-forget) in the dialect's form. */
export function expectFireAndForgetForm(r: Received, dialect: Dialect): void {
  if (dialect.fireAndForget === 'deliver-only') {
    expect(r.record.labelName).toBe('op:deliver-only');
    expect(r.record.fields).toHaveLength(2);
  } else {
    expect(r.record.labelName).toBe('op:deliver');
    expect(r.record.fields.slice(2)).toEqual([false, false]);
  }
}

/** The labels a GC message must carry in `dialect`. */
export function gcLabels(dialect: Dialect): { exports: string; answers: string } {
  return dialect.gcForm === 'plural'
    ? { exports: 'op:gc-exports', answers: 'op:gc-answers' }
    : { exports: 'op:gc-export', answers: 'op:gc-answer' };
}

/** Checks a GC message's label and field shapes against the dialect. */
export function expectGcForm(r: Received, dialect: Dialect): void {
  const labels = gcLabels(dialect);
  const isExports = r.op.op === 'gc-exports';
  expect(r.record.labelName).toBe(isExports ? labels.exports : labels.answers);
  const listForm = dialect.gcForm !== 'singular';
  for (const field of r.record.fields) expect(Array.isArray(field)).toBe(listForm);
  expect(r.record.fields).toHaveLength(isExports ? 2 : 1);
}

/**
 * Why the suite revision speaking `dialect` could not read `record` (its
 * decoder asserts on labels and shapes it does not know), or undefined. The
 * raw session fails on such a record, as the suite would.
 */
export function suiteRefuses(record: SyrupRecord, dialect: Dialect): string | undefined {
  const label = record.labelName;
  if (label === 'op:deliver' && dialect.fireAndForget === 'deliver-only' && record.fields[3] === false) {
    return 'op:deliver with no resolver (suite 6c146dc crashes on `f` there: use op:deliver-only)';
  }
  if (label === 'op:deliver-only' && dialect.fireAndForget === 'deliver') return 'op:deliver-only (removed in this revision)';
  const gc = gcLabels(dialect);
  if ((label === 'op:gc-export' || label === 'op:gc-exports') && label !== gc.exports) return `${label} (this revision reads ${gc.exports})`;
  if ((label === 'op:gc-answer' || label === 'op:gc-answers') && label !== gc.answers) return `${label} (this revision reads ${gc.answers})`;
  if (label === 'op:listen' && record.fields.length !== (dialect.listenWantsPartial ? 3 : 2)) {
    return `op:listen with ${record.fields.length} fields`;
  }
  return undefined;
}
