import { CapmeshError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import { Float64, SyrupRecord, Sym, type SyrupStruct, type SyrupValue } from '../syrup/types.js';

/**
 * Field readers and writers shared by the wire codecs.
 *
 * Reading is strict about *shape*: a field of the wrong Syrup type throws
 * `CapmeshError('WIRE_MALFORMED')` naming the record and field, so a session can
 * put that text in its `op:abort`. Writing checks the typed value it is given
 * and throws `INVALID_ARGUMENT` for a caller's mistake (a negative position,
 * say): nothing malformed is ever put on the wire.
 */

/** Throws `WIRE_MALFORMED` with `message`. */
export function malformed(message: string, detail?: Record<string, unknown>): never {
  throw new CapmeshError('WIRE_MALFORMED', message, detail === undefined ? {} : { detail });
}

/** A short description of a Syrup value's type, for error messages. */
export function describeValue(v: SyrupValue): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : 'float';
  if (typeof v === 'string') return 'string';
  if (v instanceof Float64) return 'float';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v instanceof Sym) return `symbol '${v.name}`;
  if (v instanceof SyrupRecord) return v.labelName === undefined ? 'record' : `record <${v.labelName}>`;
  if (Array.isArray(v)) return `list(${v.length})`;
  return 'dictionary';
}

/**
 * A wire position: a non-negative integer that fits a JS safe integer.
 * Decoded Syrup integers are `bigint`; an integral `number` (a hand-built
 * record) is accepted too. Floats, negatives and values above 2^53−1 throw.
 */
const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

export function readPosition(v: SyrupValue, where: string): number {
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= MAX_POSITION) return Number(v);
  } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && !Object.is(v, -0)) {
    return v;
  }
  return malformed(`${where} must be a non-negative integer position, got ${describeValue(v)}`);
}

/** A position or `f` (absent). */
export function readOptionalPosition(v: SyrupValue, where: string): number | null {
  return v === false ? null : readPosition(v, where);
}

/** The Syrup form of a position; checks the typed value first. */
export function writePosition(position: number, where: string): bigint {
  assert(Number.isSafeInteger(position) && position >= 0, where, 'a non-negative safe integer position', position);
  return BigInt(position);
}

/** Any Syrup integer, as a bigint. */
export function readInteger(v: SyrupValue, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return malformed(`${where} must be an integer, got ${describeValue(v)}`);
}

export function readString(v: SyrupValue, where: string): string {
  if (typeof v === 'string') return v;
  return malformed(`${where} must be a string, got ${describeValue(v)}`);
}

export function readSymbolName(v: SyrupValue, where: string): string {
  if (v instanceof Sym) return v.name;
  return malformed(`${where} must be a symbol, got ${describeValue(v)}`);
}

export function readBytes(v: SyrupValue, where: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return malformed(`${where} must be a byte string, got ${describeValue(v)}`);
}

export function readBoolean(v: SyrupValue, where: string): boolean {
  if (typeof v === 'boolean') return v;
  return malformed(`${where} must be a boolean, got ${describeValue(v)}`);
}

export function readList(v: SyrupValue, where: string): readonly SyrupValue[] {
  if (Array.isArray(v)) return v as readonly SyrupValue[];
  return malformed(`${where} must be a list, got ${describeValue(v)}`);
}

/** True for an OCapN Struct as the decoder yields it: a plain object. */
export function isStruct(v: SyrupValue): v is SyrupStruct {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Checks a record's arity; `arities` lists the accepted field counts. */
export function expectArity(rec: SyrupRecord, label: string, ...arities: number[]): void {
  if (!arities.includes(rec.fields.length)) {
    const want = arities.join(' or ');
    malformed(`<${label}> takes ${want} field${arities.length === 1 && arities[0] === 1 ? '' : 's'}, got ${rec.fields.length}`, {
      label,
      arity: rec.fields.length,
    });
  }
}
