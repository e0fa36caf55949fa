import { CapmeshError } from '../util/errors.js';
import { SyrupRecord, type SyrupValue } from '../syrup/types.js';
import { descriptorFromSyrup, expectDescriptor, readPublicKey, readSignature } from './descriptors.js';
import {
  describeValue,
  expectArity,
  malformed,
  readBoolean,
  readInteger,
  readList,
  readOptionalPosition,
  readPosition,
  readString,
  readSymbolName,
} from './fields.js';
import { locatorFromSyrup } from './locators.js';
import type { GcExportEntry, Op, ResolverDesc, TargetDesc } from './ops.js';

/**
 * Reads one CapTP message record into its typed op, accepting every known
 * variant and yielding the current form:
 *
 * - `op:deliver-only to args` → `deliver` with `answerPos: null, resolveMe: null`;
 * - `op:listen to desc wants-partial?` → `listen` (the boolean is checked, then dropped);
 * - `op:gc-export` / `op:gc-exports` with parallel lists, or `op:gc-export pos delta`
 *   (Goblins) → `gc-exports`;
 * - `op:gc-answer` / `op:gc-answers` with a list, or `op:gc-answer pos` → `gc-answers`.
 *
 * Errors: a non-record, or a record whose label is not a symbol, or a known
 * label with the wrong fields → `WIRE_MALFORMED`; a symbol label that names no
 * known message → `WIRE_UNKNOWN_OP`.
 */

type Reader = (rec: SyrupRecord, label: string) => Op;

const TARGET = ['export', 'answer'] as const;
const RESOLVER = ['import-object', 'import-promise'] as const;

/** A target descriptor; the error text (naming `label`) is only made when `v` is not one. */
const target = (v: SyrupValue, label: string): TargetDesc => {
  const d = descriptorFromSyrup(v);
  if (d !== undefined && (d.type === 'export' || d.type === 'answer')) return d;
  return expectDescriptor(v, TARGET, `<${label}> target`);
};
const resolver = (v: SyrupValue, where: string): ResolverDesc => expectDescriptor(v, RESOLVER, where);

function readDelta(v: SyrupValue, where: string): number {
  const delta = readPosition(v, where);
  if (delta === 0) malformed(`${where} must be positive, got 0`);
  return delta;
}

function readGcExports(rec: SyrupRecord, label: string): Op {
  expectArity(rec, label, 2);
  const [p, d] = rec.fields;
  if (Array.isArray(p) || Array.isArray(d)) {
    const positions = readList(p, `<${label}> export positions`);
    const deltas = readList(d, `<${label}> wire deltas`);
    if (positions.length !== deltas.length) {
      malformed(`<${label}> has ${positions.length} positions but ${deltas.length} deltas`);
    }
    const entries: GcExportEntry[] = positions.map((pos, i) => ({
      position: readPosition(pos, `<${label}> export position ${i}`),
      delta: readDelta(deltas[i], `<${label}> wire delta ${i}`),
    }));
    return { op: 'gc-exports', entries };
  }
  if (label === 'op:gc-exports') malformed(`<${label}> takes two lists, got ${describeValue(p)} and ${describeValue(d)}`);
  return {
    op: 'gc-exports',
    entries: [{ position: readPosition(p, `<${label}> export position`), delta: readDelta(d, `<${label}> wire delta`) }],
  };
}

function readGcAnswers(rec: SyrupRecord, label: string): Op {
  expectArity(rec, label, 1);
  const [p] = rec.fields;
  if (Array.isArray(p)) {
    const list = readList(p, `<${label}> answer positions`);
    return { op: 'gc-answers', positions: list.map((v, i) => readPosition(v, `<${label}> answer position ${i}`)) };
  }
  if (label === 'op:gc-answers') malformed(`<${label}> takes a list, got ${describeValue(p)}`);
  return { op: 'gc-answers', positions: [readPosition(p, `<${label}> answer position`)] };
}

const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  [
    'op:start-session',
    (rec, label) => {
      expectArity(rec, label, 4);
      const [version, key, location, sig] = rec.fields;
      return {
        op: 'start-session',
        captpVersion: readString(version, `<${label}> captp-version`),
        sessionPubkey: readPublicKey(key, `<${label}> session-pubkey`),
        location: locatorFromSyrup(location),
        locationSig: readSignature(sig, `<${label}> location signature`),
      };
    },
  ],
  [
    'op:abort',
    (rec, label) => {
      expectArity(rec, label, 1);
      return { op: 'abort', reason: readString(rec.fields[0], `<${label}> reason`) };
    },
  ],
  [
    'op:deliver',
    (rec, label) => {
      expectArity(rec, label, 4);
      const [to, args, answer, resolveMe] = rec.fields;
      // Constant texts (the label is always op:deliver here): nothing is built per message.
      return {
        op: 'deliver',
        to: target(to, label),
        args: readList(args, '<op:deliver> args'),
        answerPos: readOptionalPosition(answer, '<op:deliver> answer-pos'),
        resolveMe: resolveMe === false ? null : resolver(resolveMe, '<op:deliver> resolve-me-desc'),
      };
    },
  ],
  [
    'op:deliver-only',
    (rec, label) => {
      expectArity(rec, label, 2);
      const [to, args] = rec.fields;
      return { op: 'deliver', to: target(to, label), args: readList(args, `<${label}> args`), answerPos: null, resolveMe: null };
    },
  ],
  [
    'op:listen',
    (rec, label) => {
      expectArity(rec, label, 2, 3);
      const [to, desc, wantsPartial] = rec.fields;
      if (rec.fields.length === 3) readBoolean(wantsPartial, `<${label}> wants-partial?`);
      return { op: 'listen', to: target(to, label), listenDesc: resolver(desc, `<${label}> listen-desc`) };
    },
  ],
  [
    'op:get',
    (rec, label) => {
      expectArity(rec, label, 3);
      const [to, field, answer] = rec.fields;
      return {
        op: 'get',
        to: target(to, label),
        field: readString(field, `<${label}> field-name`),
        answerPos: readPosition(answer, `<${label}> new-answer-pos`),
      };
    },
  ],
  [
    'op:index',
    (rec, label) => {
      expectArity(rec, label, 3);
      const [to, index, answer] = rec.fields;
      return {
        op: 'index',
        to: target(to, label),
        index: readInteger(index, `<${label}> index`),
        answerPos: readPosition(answer, `<${label}> new-answer-pos`),
      };
    },
  ],
  [
    'op:untag',
    (rec, label) => {
      expectArity(rec, label, 3);
      const [to, tag, answer] = rec.fields;
      // The spec says String; Tagged values carry their tag as a Symbol, so accept both.
      const tagName = typeof tag === 'string' ? tag : readSymbolName(tag, `<${label}> tag`);
      return { op: 'untag', to: target(to, label), tag: tagName, answerPos: readPosition(answer, `<${label}> new-answer-pos`) };
    },
  ],
  ['op:gc-exports', readGcExports],
  ['op:gc-export', readGcExports],
  ['op:gc-answers', readGcAnswers],
  ['op:gc-answer', readGcAnswers],
  ['op:pick', (rec) => ({ op: 'pick', fields: rec.fields })],
  ['op:bootstrap', (rec) => ({ op: 'bootstrap', fields: rec.fields })],
]);

/** The message labels `opFromRecord` understands (current and older variants). */
export const KNOWN_OP_LABELS: readonly string[] = [...READERS.keys()];

/**
 * Reads a decoded message into its typed op (pre-session and session ops
 * alike; the caller decides which are allowed in its state).
 */
export function opFromRecord(value: SyrupValue): Op {
  if (!(value instanceof SyrupRecord)) return malformed(`a CapTP message must be a record, got ${describeValue(value)}`);
  const label = value.labelName;
  if (label === undefined) return malformed(`a CapTP message's label must be a symbol, got ${describeValue(value.label)}`);
  const reader = READERS.get(label);
  if (reader === undefined) {
    throw new CapmeshError('WIRE_UNKNOWN_OP', `unknown CapTP message <${label}>`, { detail: { label } });
  }
  return reader(value, label);
}
