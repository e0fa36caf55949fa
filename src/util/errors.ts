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
  /** A synchronous key function ran in a browser before `loadCryptoBackend()` loaded the curves it needs (see crypto/active-backend.ts). */
  'CRYPTO_NOT_LOADED',
  /** The designator signer refused a statement: unlabelled, an unregistered label, non-canonical bytes, over its size limit, or a legacy challenge it is not enabled for. */
  'SIGNING_REFUSED',
  // captp / session
  'PROTOCOL',
  'ABORTED',
  'DISCONNECTED',
  'BAD_VERSION',
  'BAD_LOCATION_SIGNATURE',
  'LIMIT',
  /** A peer-driven resource budget tripped: the offending session is aborted, and the reason (and `detail.budget` where set) names the budget (e.g. `maxGiftsPerSession`). */
  'BUDGET_EXCEEDED',
  'NOT_FOUND',
  'BROKEN',
  'NOT_PASSABLE',
  /** A connection's hello claims another designator or transport than the one its transport proved. */
  'IDENTITY_MISMATCH',
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
  /**
   * A receiver could not complete a handoff (exporter unreachable, refused, closed, timed out, refused
   * the withdrawal, or a dial budget tripped). One fixed message for all causes, so the gifter learns
   * nothing about the exporter's address (e.g. whether a port is open); the cause goes to the local log.
   */
  'HANDOFF_UNREACHABLE',
  // stream netlayers (tcp-testing-only, websocket): transport hygiene
  /** The peer's bytes could not be framed into messages (garbage, a bad length header). */
  'FRAMING',
  /** A transport deadline passed: no first message, a frame left unfinished, an unanswered handshake. */
  'TIMEOUT',
  // relay and websocket netlayers
  'RELAY_REFUSED',
  /**
   * A dial found the relay reachable but the peer absent: the relay says the designator is not
   * registered there (its vat is offline, closed, or registers elsewhere). Reported as soon as the
   * relay answers, never after a direct-path timeout.
   */
  'PEER_OFFLINE',
  /**
   * A dial could not use the relay at all: it cannot be reached, we are not (yet) registered there
   * within the connect timeout, or the relay connection dropped while the dial waited for it.
   */
  'RELAY_UNREACHABLE',
  'RELAY_REPLACED',
  'RELAY_PROTOCOL',
  /** A relay named by a peer (a locator hint) that `relayPolicy` refuses, or one over `maxForeignRelays`. */
  'RELAY_POLICY',
  'WEBSOCKET_AUTH',
  /** A peer-driven action over its rate or count budget (e.g. inbound relay handshakes); the excess is refused before any work. */
  'RATE_LIMITED',
  // end-to-end encrypted channel (relay fallback path)
  'E2E_HANDSHAKE',
  'E2E_TAMPERED',
  'E2E_REPLAY',
  // WebRTC offers (webrtc netlayer): an offer dropped unanswered before any peer
  // connection is built. OFFER_REFUSED: over a limit or the answer policy
  // (`DirectPathRefusal.limit` names which); OFFER_STALE: its signed sent-at is
  // outside the freshness window; OFFER_REPLAYED: its dial id was already answered.
  'OFFER_REFUSED',
  'OFFER_STALE',
  'OFFER_REPLAYED',
  // A trickled ICE candidate dropped: over `maxCandidatesPerConnection` or `maxCandidateBytes`.
  'CANDIDATE_REFUSED',
  // capmesh/yjs: a peer's Yjs update, state vector or awareness update that does not decode
  'YJS_MALFORMED',
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

/**
 * `text` without a leading `"<code>: "`: the human part of a reason written in the wire form
 * (`op:abort` reasons and relay close reasons carry `"CODE: text"`), so a local error's `message`
 * never repeats its `code`.
 */
export function withoutCodePrefix(code: CapmeshErrorCode, text: string): string {
  let out = text;
  while (out.startsWith(`${code}: `)) out = out.slice(code.length + 2);
  return out;
}

/** True when `e` is a `CapmeshError`, optionally with the given code. */
export function isCapmeshError(e: unknown, code?: CapmeshErrorCode): e is CapmeshError {
  return e instanceof CapmeshError && (code === undefined || e.code === code);
}
