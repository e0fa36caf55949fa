import { assert } from '../util/assert.js';
import { CapmeshError } from '../util/errors.js';
import { SyrupRecord, Sym, record, type SyrupValue } from '../syrup/types.js';
import { publicKeyToSyrup, signatureToSyrup } from '../crypto/forms.js';
import type { Dialect } from './dialect.js';
import { descriptorToSyrup, type Descriptor, type DescriptorType } from './descriptors.js';
import { writePosition } from './fields.js';
import { foldList } from './fold.js';
import { locatorToSyrup } from './locators.js';
import type { Op } from './ops.js';

/**
 * Writes a typed op as the record(s) the peer's dialect expects.
 *
 * Usually one record. The exception is Goblins-style singular GC
 * (`gcForm: 'singular'`), which writes one `op:gc-export pos delta` /
 * `op:gc-answer pos` per position, in the order given — and therefore zero
 * records for an empty batch. With `gcForm` plural or singular-list, an empty
 * batch is still one record with empty lists.
 *
 * The typed value is checked as it is written; a bad one (negative position,
 * wrong descriptor kind, non-positive delta…) throws `INVALID_ARGUMENT` (or the
 * crypto form's `CRYPTO_BAD_KEY`/`CRYPTO_BAD_SIGNATURE` for a wrong-length key
 * or signature), so nothing malformed reaches the wire.
 */

function desc(d: Descriptor, allowed: readonly DescriptorType[], name: string): SyrupRecord {
  // The expectation text is only made when the check fails (this runs for every descriptor written).
  if (!(d !== null && typeof d === 'object' && allowed.includes(d.type))) assert(false, name, `a ${allowed.join('/')} descriptor`, d?.type);
  return descriptorToSyrup(d);
}

const TARGET: readonly DescriptorType[] = ['export', 'answer'];
const RESOLVER: readonly DescriptorType[] = ['import-object', 'import-promise'];

function delta(n: number, name: string): bigint {
  assert(Number.isSafeInteger(n) && n > 0, name, 'a positive safe integer', n);
  return BigInt(n);
}

function positions(list: readonly number[], name: string): bigint[] {
  return list.map((p, i) => writePosition(p, `${name}[${i}]`));
}

export function opToRecords(op: Op, dialect: Dialect): SyrupRecord[] {
  switch (op.op) {
    case 'start-session':
      assert(typeof op.captpVersion === 'string', 'captpVersion', 'a string', op.captpVersion);
      return [
        record(
          'op:start-session',
          op.captpVersion,
          publicKeyToSyrup(op.sessionPubkey),
          locatorToSyrup(op.location),
          signatureToSyrup(op.locationSig),
        ),
      ];
    case 'abort':
      assert(typeof op.reason === 'string', 'reason', 'a string', op.reason);
      return [record('op:abort', op.reason)];
    case 'deliver': {
      const to = desc(op.to, TARGET, 'deliver.to');
      assert(Array.isArray(op.args), 'deliver.args', 'an array', op.args);
      const args: readonly SyrupValue[] = dialect.foldNegativeZero ? foldList(op.args) : op.args;
      if (op.answerPos === null && op.resolveMe === null && dialect.fireAndForget === 'deliver-only') {
        return [record('op:deliver-only', to, args)];
      }
      const answer = op.answerPos === null ? false : writePosition(op.answerPos, 'deliver.answerPos');
      const resolveMe = op.resolveMe === null ? false : desc(op.resolveMe, RESOLVER, 'deliver.resolveMe');
      return [record('op:deliver', to, args, answer, resolveMe)];
    }
    case 'listen': {
      const fields: SyrupValue[] = [desc(op.to, TARGET, 'listen.to'), desc(op.listenDesc, RESOLVER, 'listen.listenDesc')];
      if (dialect.listenWantsPartial) fields.push(false);
      return [record('op:listen', ...fields)];
    }
    case 'get':
      assert(typeof op.field === 'string', 'get.field', 'a string', op.field);
      return [record('op:get', desc(op.to, TARGET, 'get.to'), op.field, writePosition(op.answerPos, 'get.answerPos'))];
    case 'index':
      assert(typeof op.index === 'bigint', 'index.index', 'a bigint', op.index);
      return [record('op:index', desc(op.to, TARGET, 'index.to'), op.index, writePosition(op.answerPos, 'index.answerPos'))];
    case 'untag':
      assert(typeof op.tag === 'string', 'untag.tag', 'a string', op.tag);
      return [record('op:untag', desc(op.to, TARGET, 'untag.to'), op.tag, writePosition(op.answerPos, 'untag.answerPos'))];
    case 'gc-exports': {
      const pos = positions(
        op.entries.map((e) => e.position),
        'gcExports.entries.position',
      );
      const deltas = op.entries.map((e, i) => delta(e.delta, `gcExports.entries[${i}].delta`));
      switch (dialect.gcForm) {
        case 'plural':
          return [record('op:gc-exports', pos, deltas)];
        case 'singular-list':
          return [record('op:gc-export', pos, deltas)];
        case 'singular':
          return pos.map((p, i) => record('op:gc-export', p, deltas[i]!));
      }
      break;
    }
    case 'gc-answers': {
      const pos = positions(op.positions, 'gcAnswers.positions');
      switch (dialect.gcForm) {
        case 'plural':
          return [record('op:gc-answers', pos)];
        case 'singular-list':
          return [record('op:gc-answer', pos)];
        case 'singular':
          return pos.map((p) => record('op:gc-answer', p));
      }
      break;
    }
    case 'pick':
    case 'bootstrap':
      // Obsolete: written only so tests can check that peers refuse them.
      return [new SyrupRecord(new Sym(`op:${op.op}`), op.fields)];
  }
  throw new CapmeshError('INVALID_ARGUMENT', `cannot write op ${String((op as { op: unknown }).op)} in dialect ${dialect.name}`);
}
