import { assert } from '../util/assert.js';
import { SyrupRecord, Sym, isRecord, record, type SyrupStruct, type SyrupValue } from '../syrup/types.js';
import { describeValue, expectArity, isStruct, malformed, readBytes, readList, readString, readSymbolName } from './fields.js';

/**
 * Peer locators (`<ocapn-peer transport designator hints>`), sturdyrefs
 * (`<ocapn-sturdyref peer swiss>`) and the `<my-location peer>` signing wrapper.
 *
 * Reading accepts every form real peers send: the labels `ocapn-peer`,
 * `ocapn-node` (Goblins < 0.16.1) and `ocapn-machine` (older still); hints as a
 * Struct of strings, as `f`, or as old Goblins' list of `[key value]` pairs
 * (keys strings or symbols).
 *
 * Writing produces the current form — `ocapn-peer` with a Struct of hints,
 * `{}` when there are none (some Endo versions accept only a Struct) — unless
 * the locator carries a `form` recorded when it was decoded. Locators get
 * signed (`my-location`, `desc:handoff-give`'s exporter-location) and verifiers
 * re-encode what they decoded, so `locatorToSyrup(locatorFromSyrup(v))` must
 * reproduce `v` exactly; `form` is how. It is plain data (no class instances),
 * so a locator survives structured clone and JSON.
 */

/** The record labels a peer locator may carry, newest first. */
export type LocatorLabel = 'ocapn-peer' | 'ocapn-node' | 'ocapn-machine';

/** How hints were written: Struct, `f`, list of `[string value]`, list of `[symbol value]`. */
export type HintsForm = 'struct' | 'false' | 'pairs' | 'symbol-pairs';

/** A decoded locator's non-current wire form. Absent means `ocapn-peer` with a Struct. */
export interface LocatorForm {
  readonly label: LocatorLabel;
  readonly hints: HintsForm;
}

export interface PeerLocator {
  /** The netlayer's name, a Symbol on the wire (`tcp-testing-only`, `websocket`, `onion`…). */
  readonly transport: string;
  /** Names the peer within the transport, usually self-authenticating (a key in base32). */
  readonly designator: string;
  /** Connection hints (`host`/`port`, `url`…); `null` for none. Ignored when comparing locators. */
  readonly hints: Readonly<Record<string, string>> | null;
  /** Set by `locatorFromSyrup` only when the record was not in the current form. */
  readonly form?: LocatorForm;
}

export interface SturdyRef {
  readonly peer: PeerLocator;
  /** The swiss number, a byte string on the wire (every implementation sends bytes). */
  readonly swiss: Uint8Array;
}

const LOCATOR_LABELS: readonly LocatorLabel[] = ['ocapn-peer', 'ocapn-node', 'ocapn-machine'];

/** True when `v` is a record with one of the locator labels (whatever its fields). */
export function isLocatorRecord(v: SyrupValue): v is SyrupRecord {
  return v instanceof SyrupRecord && LOCATOR_LABELS.includes(v.labelName as LocatorLabel);
}

/** Same peer: transport and designator equal; hints and form are ignored. */
export function locatorsEqual(a: PeerLocator, b: PeerLocator): boolean {
  return a.transport === b.transport && a.designator === b.designator;
}

function readHints(v: SyrupValue, where: string): { hints: Record<string, string> | null; form: HintsForm } {
  if (v === false) return { hints: null, form: 'false' };
  if (isStruct(v)) {
    const entries: [string, string][] = [];
    for (const key of Object.keys(v)) {
      entries.push([key, readString(v[key], `${where} hint "${key}"`)]);
    }
    return { hints: Object.fromEntries(entries), form: 'struct' };
  }
  if (Array.isArray(v)) {
    const entries: [string, string][] = [];
    const seen = new Set<string>();
    let symbolKeys: boolean | undefined;
    for (const pair of readList(v, `${where} hints`)) {
      const kv = readList(pair, `${where} hint pair`);
      if (kv.length !== 2) malformed(`${where} hint pair must have 2 items, got ${kv.length}`);
      const isSymKey = kv[0] instanceof Sym;
      if (symbolKeys !== undefined && symbolKeys !== isSymKey) malformed(`${where} hint keys mix strings and symbols`);
      symbolKeys = isSymKey;
      const key = isSymKey ? readSymbolName(kv[0], `${where} hint key`) : readString(kv[0], `${where} hint key`);
      if (seen.has(key)) malformed(`${where} repeats hint "${key}"`);
      seen.add(key);
      entries.push([key, readString(kv[1], `${where} hint "${key}"`)]);
    }
    return { hints: Object.fromEntries(entries), form: symbolKeys === true ? 'symbol-pairs' : 'pairs' };
  }
  return malformed(`${where} hints must be a struct or f, got ${describeValue(v)}`);
}

/**
 * Reads a peer locator. Throws `WIRE_MALFORMED` if `v` is not a locator record
 * of the right shape (callers that only *might* have a locator check
 * `isLocatorRecord` first).
 */
export function locatorFromSyrup(v: SyrupValue): PeerLocator {
  if (!isLocatorRecord(v)) return malformed(`expected an <ocapn-peer> locator, got ${describeValue(v)}`);
  const label = v.labelName as LocatorLabel;
  expectArity(v, label, 3);
  const [t, d, h] = v.fields;
  const transport = readSymbolName(t, `<${label}> transport`);
  const designator = readString(d, `<${label}> designator`);
  const { hints, form } = readHints(h, `<${label}>`);
  if (label === 'ocapn-peer' && form === 'struct') return { transport, designator, hints };
  return { transport, designator, hints, form: { label, hints: form } };
}

function writeHints(loc: PeerLocator): SyrupValue {
  const form = loc.form?.hints ?? 'struct';
  const hints = loc.hints;
  if (hints === null) {
    if (form === 'false') return false;
    return form === 'struct' ? {} : [];
  }
  assert(typeof hints === 'object', 'locator.hints', 'an object of strings or null', hints);
  const keys = Object.keys(hints);
  for (const k of keys) assert(typeof hints[k] === 'string', `locator.hints.${k}`, 'a string', hints[k]);
  if (form === 'pairs') return keys.map((k) => [k, hints[k]!]);
  if (form === 'symbol-pairs') return keys.map((k) => [new Sym(k), hints[k]!]);
  const struct: SyrupStruct = Object.fromEntries(keys.map((k) => [k, hints[k]!]));
  return struct;
}

/** Writes a peer locator: current form, or the recorded `form` of a decoded one. */
export function locatorToSyrup(loc: PeerLocator): SyrupRecord {
  assert(typeof loc.transport === 'string' && loc.transport.length > 0, 'locator.transport', 'a non-empty string', loc.transport);
  assert(typeof loc.designator === 'string', 'locator.designator', 'a string', loc.designator);
  const label = loc.form?.label ?? 'ocapn-peer';
  assert(LOCATOR_LABELS.includes(label), 'locator.form.label', 'a locator label', label);
  return record(label, new Sym(loc.transport), loc.designator, writeHints(loc));
}

/** True when `v` is an `<ocapn-sturdyref …>` record (whatever its fields). */
export function isSturdyRefRecord(v: SyrupValue): v is SyrupRecord {
  return isRecord(v, 'ocapn-sturdyref');
}

/** Reads `<ocapn-sturdyref peer swiss>`; throws `WIRE_MALFORMED` on any other shape. */
export function sturdyRefFromSyrup(v: SyrupValue): SturdyRef {
  if (!isSturdyRefRecord(v)) return malformed(`expected an <ocapn-sturdyref>, got ${describeValue(v)}`);
  expectArity(v, 'ocapn-sturdyref', 2);
  const peer = locatorFromSyrup(v.fields[0]);
  const swiss = readBytes(v.fields[1], '<ocapn-sturdyref> swiss number');
  return { peer, swiss };
}

export function sturdyRefToSyrup(ref: SturdyRef): SyrupRecord {
  assert(ref.swiss instanceof Uint8Array, 'sturdyref.swiss', 'a Uint8Array', ref.swiss);
  return record('ocapn-sturdyref', locatorToSyrup(ref.peer), ref.swiss);
}

/**
 * `<my-location peer>`: what a `op:start-session`'s location signature covers
 * (the canonical Syrup bytes of this record, signed with the session key).
 */
export function myLocationToSyrup(loc: PeerLocator): SyrupRecord {
  return record('my-location', locatorToSyrup(loc));
}
