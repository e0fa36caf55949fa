import { assert, assertFunction, assertInteger } from '../util/assert.js';
import { DIALECTS, dialectFor, type Dialect, type DialectName, type SturdyRef } from '../wire/index.js';
import { isCapmeshError } from '../util/errors.js';
import { parseSturdyRef } from './uri.js';

/**
 * Argument checks for the vat's public entry points (`createVat`, the `Vat`
 * methods, `reconnecting`). Each throws `CapmeshError('INVALID_ARGUMENT')`
 * naming the argument (`detail.argument`), or `URI_MALFORMED` for a string
 * that is not a sturdyref, before anything else happens: a bad call never
 * half-starts a vat or a loop.
 */

const isObject = (v: unknown): v is Record<string, unknown> => (typeof v === 'object' && v !== null) || typeof v === 'function';

/** `createVat`'s options, as far as their shape can be checked before anything starts. */
export function checkVatOptions(options: unknown): void {
  assert(typeof options === 'object' && options !== null, 'options', 'an object', options);
  const o = options as Record<string, unknown>;
  assert(Array.isArray(o.netlayers), 'netlayers', 'an array of netlayers', o.netlayers);
  (o.netlayers as unknown[]).forEach((n, i) => {
    const ok = isObject(n) && typeof n.transport === 'string' && n.transport.length > 0 && typeof n.attach === 'function';
    assert(ok, `netlayers[${i}]`, 'a netlayer (with `transport` and `attach`)', n);
  });
  if (o.dialect !== undefined) dialectArgument(o.dialect, 'dialect');
  if (o.dialects !== undefined) assertFunction(o.dialects, 'dialects');
  if (o.learnDialects !== undefined) assert(typeof o.learnDialects === 'boolean', 'learnDialects', 'a boolean', o.learnDialects);
  if (o.store !== undefined) {
    const s = o.store;
    const ok = isObject(s) && ['get', 'set', 'delete', 'keys'].every((m) => typeof s[m] === 'function');
    assert(ok, 'store', 'a Store (get, set, delete, keys)', s);
  }
  if (o.logger !== undefined) {
    const l = o.logger;
    const ok = isObject(l) && ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function');
    assert(ok, 'logger', 'a Logger (debug, info, warn, error)', l);
  }
  if (o.finalizer !== undefined) assertFunction(o.finalizer, 'finalizer');
  if (o.identity !== undefined) assert(isObject(o.identity) && o.identity.publicKey instanceof Uint8Array, 'identity', 'a KeyPair or a DesignatorKey', o.identity);
  if (o.giftTimeoutMs !== undefined) assertInteger(o.giftTimeoutMs, 'giftTimeoutMs', 1);
  if (o.trustClaimsOn !== undefined) {
    const t = o.trustClaimsOn;
    assert(Array.isArray(t) && t.every((x) => typeof x === 'string'), 'trustClaimsOn', 'an array of transport names', t);
  }
  if (o.limits !== undefined) {
    assert(typeof o.limits === 'object' && o.limits !== null, 'limits', 'an object', o.limits);
    // Every limit is a count, a size in bytes or a time in ms: a non-negative integer.
    for (const [name, value] of Object.entries(o.limits)) {
      if (value !== undefined) assertInteger(value, `limits.${name}`, 0);
    }
  }
}

/**
 * A dialect argument (`VatOptions.dialect`, what `VatOptions.dialects`
 * returns): a preset's name, or a `Dialect` whose knobs all hold known
 * values (an unknown knob, such as the old `framing`, is refused). Returns
 * it as a frozen `Dialect`.
 */
export function dialectArgument(value: unknown, name: string): Dialect {
  if (typeof value === 'string') {
    assert(Object.hasOwn(DIALECTS, value), name, `one of ${Object.keys(DIALECTS).join(', ')}`, value);
    return dialectFor(value as DialectName);
  }
  assert(isObject(value) && typeof value.name === 'string', name, 'a dialect name or a Dialect', value);
  try {
    return dialectFor('spec', value);
  } catch (e) {
    const problem = isCapmeshError(e) ? e.message : String(e);
    assert(false, name, `a Dialect (${problem})`, value.name);
  }
}

/**
 * A sturdyref argument: a URI string (parsed: `URI_MALFORMED` when it is not
 * one) or a `SturdyRef` (`INVALID_ARGUMENT` when it is neither).
 */
export function sturdyRefArgument(ref: unknown, name: string): SturdyRef {
  if (typeof ref === 'string') return parseSturdyRef(ref);
  const ok = isObject(ref) && isObject(ref.peer) && typeof ref.peer.transport === 'string' && typeof ref.peer.designator === 'string' && ref.swiss instanceof Uint8Array;
  assert(ok, name, 'a sturdyref URI or a SturdyRef', ref);
  return ref as unknown as SturdyRef;
}

/** An object to export: a `far` object, a function or a reference (not a primitive). */
export function checkExportable(obj: unknown, name: string): void {
  assert(isObject(obj), name, 'an object (a far() object or a reference)', obj);
}

/** A peer locator argument (`{ transport, designator, … }`). */
export function checkLocator(peer: unknown, name: string): void {
  assert(isObject(peer) && typeof peer.transport === 'string' && typeof peer.designator === 'string', name, 'a PeerLocator', peer);
}

/** `reconnecting`'s arguments. */
export function checkReconnectArguments(vat: unknown, options: unknown): void {
  assert(isObject(vat) && typeof vat.enliven === 'function' && typeof vat.locators === 'function', 'vat', 'a Vat', vat);
  assert(typeof options === 'object' && options !== null, 'options', 'an object', options);
  const o = options as Record<string, unknown>;
  if (o.initialDelayMs !== undefined) assertInteger(o.initialDelayMs, 'initialDelayMs', 0);
  if (o.maxDelayMs !== undefined) assertInteger(o.maxDelayMs, 'maxDelayMs', 0);
  if (o.factor !== undefined) assert(typeof o.factor === 'number' && Number.isFinite(o.factor) && o.factor >= 1, 'factor', 'a finite number ≥ 1', o.factor);
  if (o.onChange !== undefined) assertFunction(o.onChange, 'onChange');
  if (o.timer !== undefined) {
    const t = o.timer;
    assert(isObject(t) && typeof t.set === 'function' && typeof t.clear === 'function', 'timer', 'a ReconnectTimer (set, clear)', t);
  }
}

