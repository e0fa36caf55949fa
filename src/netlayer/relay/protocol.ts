import { decode, encode, isRecord, record, type SyrupValue } from '../../syrup/index.js';
import { CapmeshError } from '../../util/errors.js';

/**
 * The capmesh relay protocol (version `capmesh-relay/2`), spoken over one
 * WebSocket between a vat and the relay. Shared by the relay server
 * (`relay/`) and the client (`relay/client.ts`).
 *
 * Every WebSocket message is binary and is one of:
 * - a **data frame**: byte `0x00`, the circuit id (4 bytes, big-endian), then
 *   the opaque payload. The relay forwards it unchanged to the circuit's other
 *   end, after checking that the sender is one of the circuit's two ends;
 * - a **control message**: one Syrup record (first byte `<`), listed below.
 *
 * Registration: on connect the relay sends `challenge`; the client answers
 * `register` with its designator, the relay URL it dialled (normalised by
 * `normalizeRelayUrl`) and an Ed25519 signature, by the designator key, over
 * `registrationProof(nonce, designator, relayUrl)`. The relay accepts only a
 * proof naming one of its own configured public URLs (never one derived from
 * the request), checks the signature against the key the designator names and
 * answers `registered` or `refused`. So a proof a hostile relay obtained by
 * passing on another relay's challenge names the hostile relay and is refused
 * everywhere else. A later registration of the same designator replaces the
 * earlier one, which is sent `replaced` and closed.
 *
 * Dial-only: instead of `register`, a client may answer the challenge with
 * `dial-only` and the designator it declares (unproven, nothing signed). The
 * relay answers `dial-only-ok` (or `refused` when it does not take dial-only
 * clients). Such a connection may `open`, `close`, send data frames on its own
 * circuits and `ping`; it is never in the registry, so it receives no incoming
 * circuits and no signals, and may not send signals. The declared designator
 * is what the callee's `incoming` says; the end-to-end handshake inside the
 * circuit proves it (or fails).
 *
 * Circuits carry the fallback path: `open` asks the relay for a circuit to a
 * registered designator; the relay numbers it, tells the callee `incoming`,
 * then tells the caller `opened`. Either end may `close` it; the other end is
 * told `closed`, as are both when one end's socket goes away.
 *
 * Signals are small opaque routed messages with a `kind` (WebRTC offers,
 * answers and ICE candidates; introductions): `signal to kind payload` is
 * delivered as `signal from kind payload`, where the relay fills in `from`
 * with the sender's registered designator. A signal that cannot be delivered
 * comes back as `undeliverable`.
 *
 * TURN credentials: a relay configured with a TURN server and its shared
 * secret sends `turn urls username credential ttlSeconds` to each registered
 * client that asked for them (it dialled with `?capmesh-turn=1`, see
 * `TURN_QUERY`), right after `registered` and again before they expire. Only
 * clients that ask get it, so a client older than this message never sees
 * one; and clients from this version on ignore any `relay:*` message kind
 * they do not know (`decodeRelayServerMessage`), so a newer relay can add
 * more.
 *
 * Nothing the relay says is trusted for identity: the end-to-end channel
 * authenticates peers itself (see `relay/e2e.ts`).
 */

/**
 * The `open-failed` / `undeliverable` reason a relay gives when the target
 * designator is not registered there. Clients map it to `PEER_OFFLINE`; any
 * other reason is a refusal (`RELAY_REFUSED`). The reason is the relay's word
 * only (the relay is not trusted for identity, but it is the one that knows
 * who is registered), and a relay that words it otherwise just loses the
 * distinction.
 */
export const NOT_REGISTERED_REASON = 'that designator is not registered here';

/** `capmesh-relay/2`: the registration proof names the relay's URL; dial-only clients. */
export const RELAY_PROTOCOL_VERSION = 'capmesh-relay/2';
export const DATA_FRAME_TAG = 0x00;
export const DATA_HEADER_BYTES = 5;
export const RELAY_NONCE_BYTES = 32;
/** The largest circuit id (ids are 1..2^32−1). */
export const MAX_CIRCUIT_ID = 0xffff_ffff;

/**
 * The query parameter (`capmesh-turn=1`) a client adds to the URL it dials to
 * ask for `turn` messages. Not part of the URL a registration proof names
 * (`normalizeRelayUrl` drops the query).
 */
export const TURN_QUERY = 'capmesh-turn';
/** Most TURN URLs one `turn` message carries. */
export const MAX_TURN_URLS = 8;
/** Longest TURN URL, username or credential in a `turn` message. */
export const MAX_TURN_FIELD_CHARS = 512;

/** WebSocket close codes the relay uses (4000–4999 are private-use). */
export const RELAY_CLOSE = Object.freeze({
  /** A newer registration of the same designator took over. */
  replaced: 4001,
  /** Registration refused (bad signature, bad designator, timeout). */
  refused: 4003,
  /** The connection broke the protocol. */
  protocol: 4002,
  /** Too many messages per second. */
  rateLimited: 4008,
  /** The client did not read fast enough: its unsent backlog passed the limit. */
  slowConsumer: 4009,
  /** No pong to the relay's ping in time. */
  heartbeat: 4010,
  /** The relay is shutting down. */
  shutdown: 4011,
});

/** What the relay sends. */
export type RelayServerMessage =
  | { readonly type: 'challenge'; readonly version: string; readonly nonce: Uint8Array; readonly maxFrameBytes: number }
  | { readonly type: 'registered'; readonly designator: string }
  | { readonly type: 'dial-only-ok'; readonly designator: string }
  | { readonly type: 'refused'; readonly reason: string }
  | { readonly type: 'replaced' }
  | { readonly type: 'opened'; readonly request: number; readonly circuit: number }
  | { readonly type: 'open-failed'; readonly request: number; readonly reason: string }
  | { readonly type: 'incoming'; readonly circuit: number; readonly from: string }
  | { readonly type: 'closed'; readonly circuit: number; readonly reason: string }
  | { readonly type: 'signal'; readonly peer: string; readonly kind: string; readonly payload: Uint8Array }
  | { readonly type: 'undeliverable'; readonly peer: string; readonly kind: string; readonly reason: string }
  | { readonly type: 'error'; readonly reason: string }
  | { readonly type: 'pong'; readonly n: number }
  /**
   * TURN credentials for this client (TURN REST API scheme): `username` is
   * `expiry-unix-seconds:designator`, `credential` the base64 HMAC-SHA1 of it
   * under the secret the relay shares with the TURN server; valid for
   * `ttlSeconds` from when the relay sent them.
   */
  | { readonly type: 'turn'; readonly urls: readonly string[]; readonly username: string; readonly credential: string; readonly ttlSeconds: number };

/** What a client sends. In `signal`, `peer` is the destination. */
export type RelayClientMessage =
  | { readonly type: 'register'; readonly designator: string; readonly relayUrl: string; readonly signature: Uint8Array }
  | { readonly type: 'dial-only'; readonly designator: string }
  | { readonly type: 'open'; readonly request: number; readonly to: string }
  | { readonly type: 'close'; readonly circuit: number; readonly reason: string }
  | { readonly type: 'signal'; readonly peer: string; readonly kind: string; readonly payload: Uint8Array }
  | { readonly type: 'ping'; readonly n: number };

export type RelayMessage = RelayServerMessage | RelayClientMessage;

const LABEL = 'relay:';

/**
 * The bytes a registration signature covers:
 * `<relay:register-proof version nonce designator relayUrl>`, with `relayUrl`
 * normalised (`normalizeRelayUrl`; throws `INVALID_ARGUMENT` when it is not a
 * relay URL). Binding the URL the client dialled makes a proof useless at any
 * relay that does not answer to that URL.
 */
export function registrationProof(nonce: Uint8Array, designator: string, relayUrl: string): Uint8Array {
  return encode(record('relay:register-proof', RELAY_PROTOCOL_VERSION, nonce, designator, normalizeRelayUrl(relayUrl)));
}

/**
 * The canonical form of a relay URL, the one registration proofs name:
 * `ws:` or `wss:`, lowercase host, no default port, no credentials, query or
 * fragment, and a path (`/` when empty). `ws://LocalHost:80` →
 * `ws://localhost/`. Throws `INVALID_ARGUMENT` for anything else, naming
 * `argument` (the option the URL came in).
 */
export function normalizeRelayUrl(url: string, argument = 'url'): string {
  const detail = { detail: { argument } };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${argument}\` is not a relay URL: ${JSON.stringify(String(url).slice(0, 200))}`, detail);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new CapmeshError('INVALID_ARGUMENT', `\`${argument}\`: a relay URL starts with ws:// or wss://, got ${JSON.stringify(url.slice(0, 200))}`, detail);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new CapmeshError('INVALID_ARGUMENT', `\`${argument}\`: a relay URL carries no credentials`, detail);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname || '/'}`;
}

/** Encodes one control message. */
export function encodeRelayMessage(message: RelayMessage): Uint8Array {
  return encode(toRecord(message));
}

function toRecord(m: RelayMessage): SyrupValue {
  const label = LABEL + m.type;
  switch (m.type) {
    case 'challenge':
      return record(label, m.version, m.nonce, BigInt(m.maxFrameBytes));
    case 'registered':
    case 'dial-only-ok':
    case 'dial-only':
      return record(label, m.designator);
    case 'refused':
    case 'error':
      return record(label, m.reason);
    case 'replaced':
      return record(label);
    case 'opened':
      return record(label, BigInt(m.request), BigInt(m.circuit));
    case 'open-failed':
      return record(label, BigInt(m.request), m.reason);
    case 'incoming':
      return record(label, BigInt(m.circuit), m.from);
    case 'closed':
    case 'close':
      return record(label, BigInt(m.circuit), m.reason);
    case 'signal':
      return record(label, m.peer, m.kind, m.payload);
    case 'undeliverable':
      return record(label, m.peer, m.kind, m.reason);
    case 'pong':
    case 'ping':
      return record(label, BigInt(m.n));
    case 'register':
      return record(label, m.designator, m.relayUrl, m.signature);
    case 'open':
      return record(label, BigInt(m.request), m.to);
    case 'turn':
      return record(label, [...m.urls], m.username, m.credential, BigInt(m.ttlSeconds));
  }
}

/** A data frame: tag, circuit id, payload (copied once into the frame). */
export function encodeDataFrame(circuit: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(DATA_HEADER_BYTES + payload.length);
  frame[0] = DATA_FRAME_TAG;
  new DataView(frame.buffer).setUint32(1, circuit);
  frame.set(payload, DATA_HEADER_BYTES);
  return frame;
}

/** True when the message is a data frame (else it should be a control record). */
export function isDataFrame(bytes: Uint8Array): boolean {
  return bytes.length >= DATA_HEADER_BYTES && bytes[0] === DATA_FRAME_TAG;
}

/** The circuit id of a data frame (caller checked `isDataFrame`). */
export function dataFrameCircuit(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, DATA_HEADER_BYTES).getUint32(1);
}

/** The payload of a data frame, as a view (no copy). */
export function dataFramePayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(DATA_HEADER_BYTES);
}

const SERVER_TYPES: ReadonlySet<string> = new Set([
  'challenge', 'registered', 'dial-only-ok', 'refused', 'replaced', 'opened', 'open-failed', 'incoming', 'closed', 'signal', 'undeliverable', 'error', 'pong', 'turn',
]);
const CLIENT_TYPES: ReadonlySet<string> = new Set(['register', 'dial-only', 'open', 'close', 'signal', 'ping']);

function bad(problem: string): never {
  throw new CapmeshError('RELAY_PROTOCOL', `malformed relay message: ${problem}`);
}

function str(v: SyrupValue, what: string, maxLength = 1024): string {
  if (typeof v !== 'string' || v.length > maxLength) bad(`${what} must be a string of at most ${maxLength} characters`);
  return v;
}

function bytes(v: SyrupValue, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) bad(`${what} must be ${length ?? 'a'} byte string`);
  return v;
}

function uint(v: SyrupValue, what: string, max = MAX_CIRCUIT_ID): number {
  if (typeof v !== 'bigint' || v < 0n || v > BigInt(max)) bad(`${what} must be an integer in 0..${max}`);
  return Number(v);
}

/**
 * Decodes one control message. `side` says who sent it (`server` → a
 * `RelayServerMessage`). Throws `RELAY_PROTOCOL` for anything else.
 * `maxBytes` bounds the whole message before decoding.
 */
export function decodeRelayMessage(side: 'server', bytes: Uint8Array, maxBytes: number): RelayServerMessage;
export function decodeRelayMessage(side: 'client', bytes: Uint8Array, maxBytes: number): RelayClientMessage;
export function decodeRelayMessage(side: 'server' | 'client', input: Uint8Array, maxBytes: number): RelayMessage {
  return fromValue(side, decodeControl(input, maxBytes));
}

function decodeControl(input: Uint8Array, maxBytes: number): SyrupValue {
  try {
    return decode(input, { maxBytes, maxDepth: 4, maxItems: 8 });
  } catch (cause) {
    throw new CapmeshError('RELAY_PROTOCOL', 'a relay control message is not one well-formed Syrup record', { cause });
  }
}

function fromValue(side: 'server' | 'client', value: SyrupValue): RelayMessage {
  if (!isRecord(value) || value.labelName === undefined || !value.labelName.startsWith(LABEL)) bad('not a relay:* record');
  const type = value.labelName.slice(LABEL.length);
  if (!(side === 'server' ? SERVER_TYPES : CLIENT_TYPES).has(type)) bad(`unexpected relay:${type} from the ${side}`);
  const f = value.fields;
  const arity = (n: number): void => {
    if (f.length !== n) bad(`relay:${type} takes ${n} fields, got ${f.length}`);
  };
  switch (type) {
    case 'challenge':
      arity(3);
      return { type, version: str(f[0], 'version'), nonce: bytes(f[1], 'nonce', RELAY_NONCE_BYTES), maxFrameBytes: uint(f[2], 'maxFrameBytes') };
    case 'registered':
    case 'dial-only-ok':
    case 'dial-only':
      arity(1);
      return { type, designator: str(f[0], 'designator') };
    case 'refused':
    case 'error':
      arity(1);
      return { type, reason: str(f[0], 'reason') };
    case 'replaced':
      arity(0);
      return { type };
    case 'opened':
      arity(2);
      return { type, request: uint(f[0], 'request'), circuit: uint(f[1], 'circuit') };
    case 'open-failed':
      arity(2);
      return { type, request: uint(f[0], 'request'), reason: str(f[1], 'reason') };
    case 'incoming':
      arity(2);
      return { type, circuit: uint(f[0], 'circuit'), from: str(f[1], 'from') };
    case 'closed':
    case 'close':
      arity(2);
      return { type, circuit: uint(f[0], 'circuit'), reason: str(f[1], 'reason') };
    case 'signal':
      arity(3);
      return { type, peer: str(f[0], 'peer'), kind: str(f[1], 'kind', 64), payload: bytes(f[2], 'payload') };
    case 'undeliverable':
      arity(3);
      return { type, peer: str(f[0], 'peer'), kind: str(f[1], 'kind', 64), reason: str(f[2], 'reason') };
    case 'pong':
    case 'ping':
      arity(1);
      return { type, n: uint(f[0], 'n') };
    case 'register':
      arity(3);
      return { type, designator: str(f[0], 'designator'), relayUrl: str(f[1], 'relayUrl', 2048), signature: bytes(f[2], 'signature', 64) };
    case 'open':
      arity(2);
      return { type, request: uint(f[0], 'request'), to: str(f[1], 'to') };
    case 'turn': {
      arity(4);
      const urls = f[0];
      if (!Array.isArray(urls) || urls.length === 0 || urls.length > MAX_TURN_URLS) bad(`urls must be a list of 1..${MAX_TURN_URLS} strings`);
      return {
        type,
        urls: urls.map((u: SyrupValue) => turnUrl(str(u, 'url', MAX_TURN_FIELD_CHARS))),
        username: str(f[1], 'username', MAX_TURN_FIELD_CHARS),
        credential: str(f[2], 'credential', MAX_TURN_FIELD_CHARS),
        ttlSeconds: uint(f[3], 'ttlSeconds'),
      };
    }
  }
  return bad(`unknown relay:${type}`);
}

function turnUrl(url: string): string {
  if (!/^turns?:[^\s]+$/.test(url)) bad(`a TURN URL starts with turn: or turns:, got ${JSON.stringify(url.slice(0, 100))}`);
  return url;
}

/**
 * Decodes one control message from the relay, as a client does: like
 * `decodeRelayMessage('server', …)`, except that a well-formed `relay:*`
 * record of a kind this version does not know gives `undefined` (ignore it:
 * a newer relay may send more kinds) instead of `RELAY_PROTOCOL`. A known
 * kind with bad fields still throws `RELAY_PROTOCOL`.
 */
export function decodeRelayServerMessage(input: Uint8Array, maxBytes: number): RelayServerMessage | undefined {
  const value = decodeControl(input, maxBytes);
  if (isRecord(value) && value.labelName?.startsWith(LABEL) === true && !SERVER_TYPES.has(value.labelName.slice(LABEL.length))) return undefined;
  return fromValue('server', value) as RelayServerMessage;
}

/** Text for logs and errors: a relay reason trimmed to a sane length. */
export function shortReason(reason: string): string {
  return reason.length > 200 ? `${reason.slice(0, 200)}…` : reason;
}
