import { Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged } from '../syrup/types.js';
import { toHex } from '../util/bytes.js';
import { isPresence } from '../vat/index.js';

/**
 * Renders a value received from a peer for `capmesh call`'s output, in a
 * notation close to the spec's: strings JSON-quoted, integers as digits,
 * symbols as `'name`, byte strings as `0x…`, lists `[…]`, structs `{…}`,
 * records `<label …>`, remote objects `<remote>`, promises `<promise>`.
 * A top-level string is printed as is (what a person asking for a greeting
 * wants to see).
 */
export function formatResult(value: unknown): string {
  return typeof value === 'string' ? value : formatValue(value, 0);
}

const MAX_DEPTH = 32;

export function formatValue(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) return '…';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isInteger(value) ? `${value}.0` : String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'undefined';
    case 'function':
      return isPresence(value) ? '<remote>' : '<local function>';
  }
  if (value === null) return 'null';
  const v = value as object;
  const inner = (x: unknown): string => formatValue(x, depth + 1);
  if (v instanceof Sym) return `'${v.name}`;
  if (v instanceof Float64) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (Array.isArray(v)) return `[${v.map(inner).join(' ')}]`;
  if (v instanceof Promise) return '<promise>';
  if (isPresence(v)) return '<remote>';
  if (v instanceof Error) return `<error ${JSON.stringify(v.message)}>`;
  if (v instanceof Tagged) return `<tagged '${v.tag} ${inner(v.value)}>`;
  if (v instanceof SyrupRecord) return `<${[v.label, ...v.fields].map(inner).join(' ')}>`;
  if (v instanceof SyrupSet) return `#{${v.items.map(inner).join(' ')}}`;
  if (v instanceof SyrupDict) return `{${v.entries.map(([k, x]) => `${inner(k)}: ${inner(x)}`).join(', ')}}`;
  const keys = Object.keys(v);
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${inner((v as Record<string, unknown>)[k])}`).join(', ')}}`;
}
