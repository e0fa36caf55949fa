/**
 * The one error type capmesh throws on purpose. Every failure a caller may want
 * to react to carries a stable, machine-readable `code`; the message is for
 * people and may change between versions, the code may not.
 *
 * Codes are grouped by layer prefix. A code is added here, never renamed.
 */
export const ERROR_CODES = [
  // util
  'INVALID_ARGUMENT',
  // syrup
  'SYRUP_MALFORMED',
  'SYRUP_NONCANONICAL',
  'SYRUP_LIMIT',
  'SYRUP_UNENCODABLE',
  'SYRUP_TRUNCATED',
  // wire
  'WIRE_UNKNOWN_OP',
  'WIRE_MALFORMED',
  // crypto
  'CRYPTO_BAD_KEY',
  'CRYPTO_BAD_SIGNATURE',
  // captp / session
  'PROTOCOL',
  'ABORTED',
  'DISCONNECTED',
  'BAD_VERSION',
  'BAD_LOCATION_SIGNATURE',
  'LIMIT',
  /** A peer made this vat hold more than one of its per-session budgets allows (detail.budget names it, and so does the abort reason). */
  'BUDGET_EXCEEDED',
  'NOT_FOUND',
  'BROKEN',
  'NOT_PASSABLE',
  // vat (local runtime)
  'NO_SUCH_METHOD',
  'NOT_A_REFERENCE',
  'BAD_FIELD',
  'BAD_INDEX',
  'BAD_TAG',
  // uri / persistence
  'URI_MALFORMED',
  'STORE',
  // handoffs
  'HANDOFF',
  'HANDOFF_MALFORMED',
  'HANDOFF_WRONG_RECEIVER',
  'HANDOFF_UNKNOWN_SESSION',
  'HANDOFF_BAD_GIVE',
  'HANDOFF_BAD_RECEIVE',
  'HANDOFF_SESSION_MISMATCH',
  'HANDOFF_NOT_EXPORTER',
  'HANDOFF_COUNT_REUSED',
  'HANDOFF_GIFT_WITHDRAWN',
  'HANDOFF_TIMEOUT',
  // relay and websocket netlayers
  'RELAY_REFUSED',
  'RELAY_REPLACED',
  'RELAY_PROTOCOL',
  'WEBSOCKET_AUTH',
  // end-to-end encrypted channel (relay fallback path)
  'E2E_HANDSHAKE',
  'E2E_TAMPERED',
  'E2E_REPLAY',
  // internal invariants (a bug in capmesh, never the peer's fault)
  'INTERNAL',
] as const;

export type CapmeshErrorCode = (typeof ERROR_CODES)[number];

export interface CapmeshErrorOptions {
  /** The underlying error, kept for local debugging; never sent over the wire. */
  cause?: unknown;
  /** Structured detail for logs (positions, sizes, names); never sent over the wire. */
  detail?: Record<string, unknown>;
}

export class CapmeshError extends Error {
  readonly code: CapmeshErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: CapmeshErrorCode, message: string, options: CapmeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CapmeshError';
    this.code = code;
    this.detail = options.detail;
  }
}

/** True when `e` is a `CapmeshError`, optionally with the given code. */
export function isCapmeshError(e: unknown, code?: CapmeshErrorCode): e is CapmeshError {
  return e instanceof CapmeshError && (code === undefined || e.code === code);
}
