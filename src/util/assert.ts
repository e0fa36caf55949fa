import { CapmeshError } from './errors.js';

/**
 * Argument checks for public entry points. Each names the argument it checks,
 * so a bad call reads as "`port` must be an integer in 0..65535, got -1", and
 * throws `CapmeshError('INVALID_ARGUMENT')`.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'function':
      return 'function';
    default:
      return typeof value;
  }
}

function fail(name: string, expected: string, value: unknown): never {
  throw new CapmeshError('INVALID_ARGUMENT', `\`${name}\` must be ${expected}, got ${describe(value)}`, {
    detail: { argument: name },
  });
}

export function assert(condition: unknown, name: string, expected: string, value?: unknown): asserts condition {
  if (!condition) fail(name, expected, value);
}

export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') fail(name, 'a string', value);
}

export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) fail(name, 'a non-empty string', value);
}

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) fail(name, 'a Uint8Array', value);
  if (length !== undefined && value.length !== length) fail(name, `${length} bytes`, value);
}

export function assertInteger(value: unknown, name: string, min?: number, max?: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(name, 'a safe integer', value);
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    fail(name, `an integer in ${min ?? '-∞'}..${max ?? '∞'}`, value);
  }
}

export function assertFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') fail(name, 'a function', value);
}

export function assertPlainObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(name, 'a plain object', value);
}
