import { CapmeshError } from '../../src/util/errors.js';

/**
 * Messages between the nodes of a relay cluster, carried by Redis pub/sub on
 * the receiving node's channel (see `RedisCluster`). No I/O here.
 *
 * Layout: byte 0 the kind, byte 1 a flag (`mine`), bytes 2–5 a circuit id
 * (big-endian), bytes 6–13 the send time (float64, ms since the epoch, for the
 * routing-latency histogram), bytes 14–15 the length of a UTF-8 JSON header,
 * the header, then an opaque payload (a relay data frame or a signal payload).
 *
 * Circuit ids: a circuit between nodes has an id on each node. A message
 * names the circuit either by the sending node's id (`mine: true`; the
 * receiving node translates it — it holds the map because the circuit was
 * opened from the sender's side) or by the receiving node's own id
 * (`mine: false`; the sender translated it).
 */
export type NodeMessageKind = 'open' | 'data' | 'close' | 'signal' | 'undeliverable';

const KINDS: readonly NodeMessageKind[] = ['open', 'data', 'close', 'signal', 'undeliverable'];
const HEAD = 16;
/** Longest JSON header accepted (designators, kind, reason). */
const MAX_HEADER = 4096;

export interface NodeMessage {
  readonly kind: NodeMessageKind;
  /** Id of the sending node. */
  readonly node: string;
  /** Designator of the circuit's or signal's end on the sending node (for `undeliverable`: the sender of the failed signal, local to the receiver). */
  readonly from: string;
  /** `open`, `signal`: the target designator, on the receiving node. `undeliverable`: the designator that could not be reached. */
  readonly to?: string;
  /** `signal`, `undeliverable`: the signal kind. */
  readonly signalKind?: string;
  /** `close`, `undeliverable`: why. */
  readonly reason?: string;
  readonly circuit: number;
  readonly mine: boolean;
  /** Send time (ms since the epoch). */
  readonly sentAt: number;
  readonly payload: Uint8Array;
}

/** Encodes `m` for `PUBLISH`. */
export function encodeNodeMessage(m: NodeMessage): Buffer {
  const header: Record<string, string> = { n: m.node, f: m.from };
  if (m.to !== undefined) header.t = m.to;
  if (m.signalKind !== undefined) header.k = m.signalKind;
  if (m.reason !== undefined) header.r = m.reason;
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(HEAD + json.length + m.payload.length);
  out[0] = KINDS.indexOf(m.kind);
  out[1] = m.mine ? 1 : 0;
  out.writeUInt32BE(m.circuit >>> 0, 2);
  out.writeDoubleBE(m.sentAt, 6);
  out.writeUInt16BE(json.length, 14);
  json.copy(out, HEAD);
  out.set(m.payload, HEAD + json.length);
  return out;
}

function bad(what: string): CapmeshError {
  return new CapmeshError('PROTOCOL', `malformed cluster message: ${what}`);
}

/** Decodes a message from another node; `PROTOCOL` for anything malformed (the payload is a view into `bytes`). */
export function decodeNodeMessage(bytes: Uint8Array): NodeMessage {
  if (bytes.length < HEAD) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = KINDS[bytes[0]!];
  if (kind === undefined) throw bad(`unknown kind ${bytes[0]}`);
  const length = view.getUint16(14);
  if (length > MAX_HEADER || HEAD + length > bytes.length) throw bad('header length');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + HEAD, length).toString('utf8'));
  } catch {
    throw bad('header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw bad('header is not an object');
  const h = header as Record<string, unknown>;
  const text = (key: string, required: boolean): string | undefined => {
    const v = h[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') throw bad(`header field ${key}`);
    return v;
  };
  const node = text('n', true)!;
  const from = text('f', true)!;
  const to = text('t', false);
  const signalKind = text('k', false);
  const reason = text('r', false);
  return {
    kind,
    node,
    from,
    ...(to !== undefined ? { to } : {}),
    ...(signalKind !== undefined ? { signalKind } : {}),
    ...(reason !== undefined ? { reason } : {}),
    circuit: view.getUint32(2),
    mine: bytes[1] === 1,
    sentAt: view.getFloat64(6),
    payload: bytes.subarray(HEAD + length),
  };
}
