import { CapmeshError, ERROR_CODES, type CapmeshErrorCode } from '../util/errors.js';
import { SyrupRecord, Sym } from '../syrup/types.js';

/**
 * Errors cross the wire as `<desc:error "message">` and nothing else: no
 * stack, no cause, no detail. A `CapmeshError` is written as
 * `"<CODE>: <message>"`, so another capmesh vat reads the same code back;
 * any other peer just sees a readable message. Every error that arrives
 * becomes a `CapmeshError`: its own code when it carries a known one, else
 * `BROKEN`.
 */

const KNOWN = new Set<string>(ERROR_CODES);
const CODED = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/;

export function errorToWire(error: Error): SyrupRecord {
  const text = error instanceof CapmeshError ? `${error.code}: ${error.message}` : String(error.message ?? '');
  return new SyrupRecord(new Sym('desc:error'), [text.isWellFormed() ? text : text.toWellFormed()]);
}

export function errorFromWireMessage(message: string): CapmeshError {
  const m = CODED.exec(message);
  if (m && KNOWN.has(m[1]!)) return new CapmeshError(m[1] as CapmeshErrorCode, m[2]!);
  return new CapmeshError('BROKEN', message);
}

/** Reads `<desc:error message …>` (one field, or the proposed three-field form); undefined if `v` is not one. */
export function errorFromWire(v: SyrupRecord): CapmeshError | undefined {
  if (v.labelName !== 'desc:error' || v.fields.length < 1) return undefined;
  const message = v.fields[0];
  return typeof message === 'string' ? errorFromWireMessage(message) : undefined;
}
