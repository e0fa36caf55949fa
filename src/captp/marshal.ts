import { CapmeshError } from '../util/errors.js';
import { Float64, SyrupDict, SyrupRecord, SyrupSet, Sym, Tagged, type SyrupStruct, type SyrupValue } from '../syrup/types.js';
import {
  descriptorFromSyrup,
  descriptorToSyrup,
  importObject,
  importPromise,
  type AnswerDesc,
  type Descriptor,
  type ExportDesc,
} from '../wire/index.js';
import { isFar, isPresence } from '../vat/index.js';
import type { SendTxn } from './send-txn.js';
import { errorFromWire, errorToWire } from './errors-on-wire.js';

/**
 * Converts between local passable values and their Syrup form in one session.
 *
 * Outgoing (`toWire`): references that belong to this session's peer go back
 * as `desc:export` / `desc:answer`; every other reference (a local far object,
 * a presence from another session, a local promise) is exported through the
 * message's `SendTxn` as `desc:import-object` / `desc:import-promise`. Errors
 * go as their message only. Anything not passable throws `NOT_PASSABLE` naming
 * the path, before anything is committed.
 *
 * Incoming (`fromWire`): descriptors become presences, imported promises, or
 * our own exports/answers; unknown positions throw `PROTOCOL` (the session
 * aborts). Records that are not descriptors pass through unchanged (a
 * sturdyref, say).
 */
export interface MarshalContext {
  /** How this session's peer names `value` (one of its exports or answers), if it is one. */
  peerDescriptorOf(value: object): ExportDesc | AnswerDesc | undefined;
  /** `desc:import-object N` arrived: the peer's object N, as our presence for it (not the wire's `importObject` descriptor constructor). */
  importedObject(position: number): object;
  /** `desc:import-promise N` arrived: the peer's promise N, as our local promise for it. */
  importedPromise(position: number): Promise<unknown>;
  /** `desc:export N` arrived: our export N (throws PROTOCOL if none). */
  ownExport(position: number): object;
  /** `desc:answer N` arrived: our answer N's promise (throws PROTOCOL if none). */
  ownAnswer(position: number): Promise<unknown>;
  /** A signed handoff descriptor arrived in place of a reference. */
  handoff(desc: Descriptor): unknown;
  /**
   * A reference that belongs to another session is being sent: returns what to
   * send in its place (a signed handoff give), or undefined to export it from
   * here as a local object that forwards (proxying).
   */
  foreignReference(value: object, txn: SendTxn): SyrupValue | undefined;
}

const MAX_DEPTH = 64;

function notPassable(path: string, why: string): never {
  throw new CapmeshError('NOT_PASSABLE', `${path} is not passable: ${why}`, { detail: { path } });
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function toWire(ctx: MarshalContext, txn: SendTxn, value: unknown, path: string, depth = 0): SyrupValue {
  switch (typeof value) {
    case 'string':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return value;
    case 'symbol':
      return notPassable(path, 'a JavaScript symbol (use sym() for an OCapN symbol)');
    case 'function':
      if (isFar(value)) return descriptorToSyrup(importObject(txn.exportRef(value, false)));
      return notPassable(path, 'a plain function (wrap it with far())');
    case 'object':
      break;
  }
  if (value === null) return null;
  if (depth > MAX_DEPTH) notPassable(path, `nested deeper than ${MAX_DEPTH} (or cyclic)`);
  const obj = value as object;
  if (obj instanceof Uint8Array || obj instanceof Sym || obj instanceof Float64) return obj;
  if (Array.isArray(obj)) {
    const out: SyrupValue[] = new Array<SyrupValue>(obj.length);
    for (let i = 0; i < obj.length; i++) out[i] = toWire(ctx, txn, obj[i], `${path}[${i}]`, depth + 1);
    return out;
  }
  if (isFar(obj) || isPresence(obj) || obj instanceof Promise) {
    const own = ctx.peerDescriptorOf(obj);
    if (own) return descriptorToSyrup(own);
    if (!isFar(obj)) {
      const handoff = ctx.foreignReference(obj, txn);
      if (handoff !== undefined) return handoff;
    }
    if (obj instanceof Promise) return descriptorToSyrup(importPromise(txn.exportRef(obj, true)));
    return descriptorToSyrup(importObject(txn.exportRef(obj, false)));
  }
  if (obj instanceof Error) return errorToWire(obj);
  if (obj instanceof Tagged) return new Tagged(obj.tag, toWire(ctx, txn, obj.value, `${path}.${obj.tag}`, depth + 1));
  if (obj instanceof SyrupRecord) return obj;
  if (isPlainObject(obj)) {
    if (Object.getOwnPropertySymbols(obj).length > 0) notPassable(path, 'a record with symbol keys');
    const out: SyrupStruct = {};
    for (const key of Object.keys(obj)) {
      const v = toWire(ctx, txn, (obj as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return notPassable(path, `an instance of ${obj.constructor?.name ?? 'an unknown class'}`);
}

export function fromWire(ctx: MarshalContext, value: SyrupValue): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array || value instanceof Sym || value instanceof Float64) return value;
  if (Array.isArray(value)) return value.map((v: SyrupValue) => fromWire(ctx, v));
  if (value instanceof SyrupRecord) {
    const desc = descriptorFromSyrup(value);
    if (desc) {
      switch (desc.type) {
        case 'import-object':
          return ctx.importedObject(desc.position);
        case 'import-promise':
          return ctx.importedPromise(desc.position);
        case 'export':
          return ctx.ownExport(desc.position);
        case 'answer':
          return ctx.ownAnswer(desc.position);
        default:
          return ctx.handoff(desc);
      }
    }
    return errorFromWire(value) ?? value;
  }
  if (value instanceof Tagged) return new Tagged(value.tag, fromWire(ctx, value.value) as SyrupValue);
  if (value instanceof SyrupSet || value instanceof SyrupDict) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, {
      value: fromWire(ctx, (value as SyrupStruct)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
