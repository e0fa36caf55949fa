import { CapmeshError } from '../util/errors.js';

/** A plain copy of a session's tables, for `dump()` and `check()`. */
export interface SessionSnapshot {
  readonly label: string;
  readonly closed: string | undefined;
  readonly exports: readonly { pos: number; refs: number; promise: boolean }[];
  readonly imports: readonly { pos: number; kind: string; count: number; live: boolean; internal: boolean }[];
  readonly questions: readonly { pos: number; state: string }[];
  readonly answers: readonly { pos: number; state: string }[];
  readonly pendingImportedPromises: number;
}

/** Renders the tables as aligned text, one entry per line, positions ascending. */
export function dumpSession(s: SessionSnapshot): string {
  const lines = [`session ${s.label}${s.closed === undefined ? '' : ` (closed: ${s.closed})`}`];
  const byPos = <T extends { pos: number }>(rows: readonly T[]): T[] => [...rows].sort((a, b) => a.pos - b.pos);
  lines.push(`  exports (${s.exports.length - 1} + bootstrap):`);
  for (const e of byPos(s.exports)) {
    lines.push(`    ${String(e.pos).padStart(6)}  ${e.pos === 0 ? 'bootstrap' : `refs=${e.refs}`}${e.promise ? ' promise' : ''}`);
  }
  lines.push(`  imports (${s.imports.length}):`);
  for (const i of byPos(s.imports)) {
    lines.push(`    ${String(i.pos).padStart(6)}  ${i.kind} count=${i.count}${i.live ? '' : ' collected'}${i.internal ? ' internal' : ''}`);
  }
  lines.push(`  questions (${s.questions.length}):`);
  for (const q of byPos(s.questions)) lines.push(`    ${String(q.pos).padStart(6)}  ${q.state}`);
  lines.push(`  answers (${s.answers.length}):`);
  for (const a of byPos(s.answers)) lines.push(`    ${String(a.pos).padStart(6)}  ${a.state}`);
  lines.push(`  imported promises awaiting settlement: ${s.pendingImportedPromises}`);
  return lines.join('\n');
}

function broken(what: string): never {
  throw new CapmeshError('INTERNAL', `session invariant broken: ${what}`);
}

/**
 * Checks the invariants every session keeps: export 0 is the bootstrap; every
 * other export has a positive refcount; import counts are positive; every open
 * question is pending; a closed session holds nothing but its bootstrap.
 */
export function checkSession(s: SessionSnapshot): void {
  if (!s.exports.some((e) => e.pos === 0)) broken('export 0 (bootstrap) is missing');
  for (const e of s.exports) if (e.pos !== 0 && e.refs <= 0) broken(`export ${e.pos} has refcount ${e.refs}`);
  for (const i of s.imports) if (i.count <= 0) broken(`import ${i.pos} has receive count ${i.count}`);
  for (const q of s.questions) if (q.state !== 'pending') broken(`question ${q.pos} is ${q.state} but still open`);
  if (s.closed !== undefined) {
    if (s.exports.length !== 1 || s.imports.length || s.questions.length || s.answers.length || s.pendingImportedPromises) {
      broken('a closed session still holds table entries');
    }
  }
}
