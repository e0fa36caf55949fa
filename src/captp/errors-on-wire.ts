import { CapmeshError, ERROR_CODES, type CapmeshErrorCode } from '../util/errors.js';
import { SyrupRecord, Sym } from '../syrup/types.js';

/**
 * Errors cross the wire as `<desc:error "message">` and nothing else: no
 * stack, no cause, no detail. A `CapmeshError` is written as
 * `"<CODE>: <message>"`, so another capmesh vat reads the same code back;
 * any other peer just sees a readable message. Every error that arrives
 * becomes a `CapmeshError`: its own code when it carries a known one, else
 * `BROKEN`.
 *
 * `BROKEN` is the code of an uncoded message, so it is written *without* a
 * prefix: a rejection that arrives as `"oops"` and is passed on (A calls B,
 * B forwards C's rejection) leaves as `"oops"` again, not `"BROKEN: oops"`.
 * Another capmesh vat still reads it back as `BROKEN`. The one exception is
 * a `BROKEN` message that itself starts with a known `"CODE: "`: it keeps
 * its prefix, or the reader would take the inner code for the error's own.
 */

const KNOWN = new Set<string>(ERROR_CODES);
const CODED = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/;

export function errorToWire(error: Error): SyrupRecord {
  const text = error instanceof CapmeshError ? codedText(error) : String(error.message ?? '');
  return new SyrupRecord(new Sym('desc:error'), [text.isWellFormed() ? text : text.toWellFormed()]);
}

function codedText(error: CapmeshError): string {
  if (error.code === 'BROKEN' && !readsAsCoded(error.message)) return error.message;
  return `${error.code}: ${error.message}`;
}

function readsAsCoded(message: string): boolean {
  const m = CODED.exec(message);
  return m !== null && KNOWN.has(m[1]!);
}

/**
 * The error a wire message stands for. Its `stack` is the header line only:
 * the frames at hand would be the receiver's (whatever decoded the message),
 * which say nothing about where the peer's error arose and, cut at
 * `Error.stackTraceLimit`, differ with the depth of the decode path.
 */
export function errorFromWireMessage(message: string): CapmeshError {
  const m = CODED.exec(message);
  const error = m && KNOWN.has(m[1]!) ? new CapmeshError(m[1] as CapmeshErrorCode, m[2]!) : new CapmeshError('BROKEN', message);
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** Reads `<desc:error message …>` (one field, or the proposed three-field form); undefined if `v` is not one. */
export function errorFromWire(v: SyrupRecord): CapmeshError | undefined {
  if (v.labelName !== 'desc:error' || v.fields.length < 1) return undefined;
  const message = v.fields[0];
  return typeof message === 'string' ? errorFromWireMessage(message) : undefined;
}
