import { CapmeshError } from '../util/errors.js';
import { base64urlDecode, base64urlEncode } from '../util/base64url.js';
import type { PeerLocator, SturdyRef } from '../wire/index.js';

/**
 * `ocapn://` URIs (OCapN Locators; forms as Goblins writes them):
 *
 *   peer:       ocapn://<designator>.<transport>[?k=v&…]
 *   sturdyref:  ocapn://<designator>.<transport>/s/<swiss>[?k=v&…]
 *
 * The transport is what follows the **last** `.` of the authority (designators
 * may contain dots). The swiss number is URL-safe base64 without padding
 * (padding is accepted on input). Hints are the query pairs, percent-decoded;
 * a repeated hint key is refused. Anything malformed throws
 * `CapmeshError('URI_MALFORMED')` naming the problem.
 */

function malformed(uri: string, problem: string): never {
  throw new CapmeshError('URI_MALFORMED', `not an ocapn URI (${problem}): ${uri.length > 120 ? `${uri.slice(0, 120)}…` : uri}`, {
    detail: { problem },
  });
}

const TRANSPORT = /^[A-Za-z0-9][A-Za-z0-9+_-]*$/;

interface Parsed {
  readonly peer: PeerLocator;
  readonly path: string;
}

function decodeComponent(uri: string, text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return malformed(uri, `bad percent-encoding in ${what}`);
  }
}

function parse(uri: string): Parsed {
  if (typeof uri !== 'string') malformed(String(uri), 'not a string');
  const prefix = 'ocapn://';
  // The scheme is case-insensitive (RFC 3986 §3.1); everything else is compared as written.
  if (uri.slice(0, prefix.length).toLowerCase() !== prefix) malformed(uri, 'must start with ocapn://');
  const bad = /[^\x21-\x7e]/.exec(uri);
  if (bad) malformed(uri, `character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} must be percent-encoded`);
  if (uri.includes('#')) malformed(uri, 'a fragment is not allowed');
  let rest = uri.slice(prefix.length);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const dot = authority.lastIndexOf('.');
  if (dot <= 0) malformed(uri, 'the host must be <designator>.<transport>');
  const designator = decodeComponent(uri, authority.slice(0, dot), 'the designator');
  const transport = authority.slice(dot + 1);
  if (!TRANSPORT.test(transport)) malformed(uri, `bad transport "${transport}"`);
  if (designator.length === 0) malformed(uri, 'empty designator');
  let hints: Record<string, string> | null = null;
  if (query !== '') {
    hints = {};
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) malformed(uri, `hint "${pair}" is not key=value`);
      const key = decodeComponent(uri, pair.slice(0, eq), 'a hint key');
      const value = decodeComponent(uri, pair.slice(eq + 1).replace(/\+/g, ' '), 'a hint value');
      if (Object.hasOwn(hints, key)) malformed(uri, `hint "${key}" is repeated`);
      Object.defineProperty(hints, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return { peer: { transport, designator, hints }, path };
}

/** Parses `ocapn://<designator>.<transport>[?hints]`. */
export function parsePeerUri(uri: string): PeerLocator {
  const { peer, path } = parse(uri);
  if (path !== '' && path !== '/') malformed(uri, `unexpected path "${path}" in a peer URI`);
  return peer;
}

/** Parses `ocapn://<designator>.<transport>/s/<swiss>[?hints]`. */
export function parseSturdyRef(uri: string): SturdyRef {
  const { peer, path } = parse(uri);
  if (!path.startsWith('/s/')) malformed(uri, 'a sturdyref path is /s/<swiss>');
  const encoded = path.slice(3);
  if (encoded.length === 0 || encoded.includes('/')) malformed(uri, 'the swiss number must be one path segment');
  let swiss: Uint8Array;
  try {
    swiss = base64urlDecode(encoded);
  } catch {
    return malformed(uri, 'the swiss number is not URL-safe base64');
  }
  if (swiss.length === 0) malformed(uri, 'empty swiss number');
  return { peer, swiss };
}

/** encodeURIComponent, but a lone surrogate is the caller's `INVALID_ARGUMENT`, not a `URIError`. */
function encodeComponent(text: string, what: string): string {
  if (typeof text !== 'string' || !text.isWellFormed()) {
    throw new CapmeshError('INVALID_ARGUMENT', `${what} must be a well-formed string`);
  }
  return encodeURIComponent(text);
}

function formatHints(hints: Readonly<Record<string, string>> | null): string {
  if (hints == null) return '';
  const keys = Object.keys(hints).sort();
  if (keys.length === 0) return '';
  const pairs = keys.map((k) => {
    if (k === '') throw new CapmeshError('INVALID_ARGUMENT', 'a hint key must not be empty');
    return `${encodeComponent(k, 'a hint key')}=${encodeComponent(hints[k]!, `hint "${k}"`)}`;
  });
  return `?${pairs.join('&')}`;
}

/** A locator the caller built: its shape is checked before anything reads it (`INVALID_ARGUMENT`, never a `TypeError`). */
function checkPeer(peer: PeerLocator): void {
  if (typeof peer !== 'object' || peer === null) throw new CapmeshError('INVALID_ARGUMENT', 'a peer locator must be an object');
  if (typeof peer.designator !== 'string') throw new CapmeshError('INVALID_ARGUMENT', '`designator` must be a string');
  if (typeof peer.transport !== 'string') throw new CapmeshError('INVALID_ARGUMENT', '`transport` must be a string');
  // A missing `hints` (a hand-built locator) means none, like null.
  if (peer.hints != null && (typeof peer.hints !== 'object' || Array.isArray(peer.hints))) {
    throw new CapmeshError('INVALID_ARGUMENT', '`hints` must be null or a record of strings');
  }
}

function authority(peer: PeerLocator): string {
  checkPeer(peer);
  if (!TRANSPORT.test(peer.transport)) {
    throw new CapmeshError('INVALID_ARGUMENT', `\`transport\` must be a plain name, got "${peer.transport}"`);
  }
  if (peer.designator.length === 0) throw new CapmeshError('INVALID_ARGUMENT', '`designator` must not be empty');
  return `${encodeComponent(peer.designator, '`designator`').replace(/%2E/gi, '.')}.${peer.transport}`;
}

export function formatPeerUri(peer: PeerLocator): string {
  return `ocapn://${authority(peer)}${formatHints(peer.hints)}`;
}

/**
 * The `ocapn://…/s/<swiss>` URI of `ref` (what `parseSturdyRef` reads back).
 * Throws `INVALID_ARGUMENT` for a ref of the wrong shape, an empty swiss
 * number, an empty designator, a transport that is not a plain name or a
 * hint that is not a well-formed string.
 */
export function formatSturdyRef(ref: SturdyRef): string {
  if (typeof ref !== 'object' || ref === null) throw new CapmeshError('INVALID_ARGUMENT', 'a sturdyref must be an object');
  if (!(ref.swiss instanceof Uint8Array)) throw new CapmeshError('INVALID_ARGUMENT', '`swiss` must be a Uint8Array', { detail: { argument: 'swiss' } });
  if (ref.swiss.length === 0) throw new CapmeshError('INVALID_ARGUMENT', '`swiss` must not be empty');
  return `ocapn://${authority(ref.peer)}/s/${base64urlEncode(ref.swiss)}${formatHints(ref.peer.hints)}`;
}
