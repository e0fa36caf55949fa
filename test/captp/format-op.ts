import { Float64, SyrupRecord, Sym, Tagged, type SyrupValue } from '../../src/syrup/types.js';
import { descriptorFromSyrup, type SessionOp, type TargetDesc, type ResolverDesc } from '../../src/wire/index.js';

/** A compact, stable text form of an op for exact assertions in tests. */
export function formatOp(op: SessionOp): string {
  switch (op.op) {
    case 'deliver': {
      const extra = [op.answerPos === null ? 'ans=f' : `ans=${op.answerPos}`, op.resolveMe === null ? 'res=f' : `res=${desc(op.resolveMe)}`];
      return `deliver ${desc(op.to)} [${op.args.map(value).join(' ')}] ${extra.join(' ')}`;
    }
    case 'listen':
      return `listen ${desc(op.to)} ${desc(op.listenDesc)}`;
    case 'get':
      return `get ${desc(op.to)} "${op.field}" ans=${op.answerPos}`;
    case 'index':
      return `index ${desc(op.to)} ${op.index} ans=${op.answerPos}`;
    case 'untag':
      return `untag ${desc(op.to)} "${op.tag}" ans=${op.answerPos}`;
    case 'gc-exports':
      return `gc-exports ${op.entries.map((e) => `${e.position}x${e.delta}`).join(',')}`;
    case 'gc-answers':
      return `gc-answers ${op.positions.join(',')}`;
    case 'abort':
      return `abort "${op.reason}"`;
  }
}

function desc(d: TargetDesc | ResolverDesc): string {
  return `${d.type}:${d.position}`;
}

function value(v: SyrupValue): string {
  if (v === undefined) return 'void';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'number') return `${v}`;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Sym) return `'${v.name}`;
  if (v instanceof Float64) return `${v.value}`;
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (Array.isArray(v)) return `[${v.map(value).join(' ')}]`;
  if (v instanceof Tagged) return `tagged(${v.tag} ${value(v.value)})`;
  if (v instanceof SyrupRecord) {
    const d = descriptorFromSyrup(v);
    if (d && 'position' in d) return `${d.type}:${d.position}`;
    return `<${v.labelName ?? '?'} ${v.fields.map(value).join(' ')}>`;
  }
  return `{${Object.entries(v as Record<string, SyrupValue>).map(([k, x]) => `${k}:${value(x)}`).join(' ')}}`;
}
