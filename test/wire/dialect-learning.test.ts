import { describe, expect, it } from 'vitest';
import { SyrupRecord, Sym, record, type SyrupValue } from '../../src/syrup/types.js';
import { dialectFor, type Dialect } from '../../src/wire/dialect.js';
import { dialectForVersion, formsRevealedBy, learnDialect } from '../../src/wire/dialect-learning.js';
import { descriptorToSyrup, exportDesc, importObject } from '../../src/wire/descriptors.js';
import { encodeOp } from '../../src/wire/codec.js';
import { decode } from '../../src/syrup/decode.js';
import type { Op } from '../../src/wire/ops.js';

const to = descriptorToSyrup(exportDesc(1));
const resolver = descriptorToSyrup(importObject(2));
const spec = dialectFor('spec');

/** The record `op` is when written in `dialect` (the single record; Goblins GC of one position). */
function written(op: Op, dialect: Dialect): SyrupValue {
  const [bytes] = encodeOp(op, dialect);
  return decode(bytes!);
}

describe('formsRevealedBy: what one message shows about its writer', () => {
  it('op:deliver-only reveals deliver-only fire-and-forget', () => {
    expect(formsRevealedBy(record('op:deliver-only', to, []))).toStrictEqual({ fireAndForget: 'deliver-only' });
  });

  it('a 3-field op:listen reveals wants-partial; a 2-field one reveals nothing', () => {
    expect(formsRevealedBy(record('op:listen', to, resolver, false))).toStrictEqual({ listenWantsPartial: true });
    expect(formsRevealedBy(record('op:listen', to, resolver))).toStrictEqual({});
  });

  it('the singular GC labels reveal singular-list with lists, singular with one position', () => {
    expect(formsRevealedBy(record('op:gc-export', [1n, 2n], [1n, 1n]))).toStrictEqual({ gcForm: 'singular-list' });
    expect(formsRevealedBy(record('op:gc-answer', [3n]))).toStrictEqual({ gcForm: 'singular-list' });
    expect(formsRevealedBy(record('op:gc-export', 1n, 1n))).toStrictEqual({ gcForm: 'singular' });
    expect(formsRevealedBy(record('op:gc-answer', 3n))).toStrictEqual({ gcForm: 'singular' });
  });

  it('does NOT learn from the current forms: op:deliver … f f, plural GC, start-session, abort, anything not a record', () => {
    expect(formsRevealedBy(record('op:deliver', to, [], false, false))).toStrictEqual({});
    expect(formsRevealedBy(record('op:gc-exports', [1n], [1n]))).toStrictEqual({});
    expect(formsRevealedBy(record('op:gc-answers', [1n]))).toStrictEqual({});
    expect(formsRevealedBy(record('op:abort', 'bye'))).toStrictEqual({});
    expect(formsRevealedBy(new SyrupRecord(new Sym('op:deliver-only-ish'), []))).toStrictEqual({});
    expect(formsRevealedBy([new Sym('op:deliver-only')])).toStrictEqual({});
  });

  it('each preset reveals its own older forms through what it writes', () => {
    const goblins = dialectFor('goblins');
    expect(formsRevealedBy(written({ op: 'deliver', to: exportDesc(1), args: [], answerPos: null, resolveMe: null }, goblins))).toStrictEqual({
      fireAndForget: 'deliver-only',
    });
    expect(formsRevealedBy(written({ op: 'gc-exports', entries: [{ position: 4, delta: 2 }] }, goblins))).toStrictEqual({ gcForm: 'singular' });
    expect(formsRevealedBy(written({ op: 'gc-answers', positions: [5] }, dialectFor('suite-2026-02')))).toStrictEqual({ gcForm: 'singular-list' });
    expect(formsRevealedBy(written({ op: 'listen', to: exportDesc(1), listenDesc: importObject(2) }, dialectFor('endo')))).toStrictEqual({
      listenWantsPartial: true,
    });
  });
});

describe('learnDialect: only ever down, to a form the peer wrote', () => {
  it('moves each knob from the spec form to the peer’s older one', () => {
    expect(learnDialect(spec, { fireAndForget: 'deliver-only' }).fireAndForget).toBe('deliver-only');
    expect(learnDialect(spec, { listenWantsPartial: true }).listenWantsPartial).toBe(true);
    expect(learnDialect(spec, { gcForm: 'singular-list' }).gcForm).toBe('singular-list');
    expect(learnDialect(spec, { gcForm: 'singular' }).gcForm).toBe('singular');
  });

  it('GC goes plural → singular-list → singular, never back up', () => {
    const listed = learnDialect(spec, { gcForm: 'singular-list' });
    const single = learnDialect(listed, { gcForm: 'singular' });
    expect(single.gcForm).toBe('singular');
    expect(learnDialect(single, { gcForm: 'singular-list' })).toBe(single);
  });

  it('does NOT move up: a peer that writes newer forms leaves an older dialect as it is (same object)', () => {
    const goblins = dialectFor('goblins');
    expect(learnDialect(goblins, { fireAndForget: 'deliver', listenWantsPartial: false, gcForm: 'plural' })).toBe(goblins);
    expect(learnDialect(spec, {})).toBe(spec);
  });

  it('never touches −0 folding or the version (nothing the peer writes shows them)', () => {
    const endo = dialectFor('endo');
    const learned = learnDialect(endo, { fireAndForget: 'deliver-only', gcForm: 'singular' });
    expect(learned.foldNegativeZero).toBe(true);
    expect(learned.captpVersion).toBe('1.0');
    expect(learnDialect(spec, { fireAndForget: 'deliver-only' }).foldNegativeZero).toBe(false);
  });

  it('names the result after the preset it now equals, else <start>+learned; frozen', () => {
    let d = learnDialect(spec, { fireAndForget: 'deliver-only' });
    expect(d.name).toBe('spec+learned');
    d = learnDialect(d, { listenWantsPartial: true });
    expect(d.name).toBe('spec+learned');
    const goblins = learnDialect(d, { gcForm: 'singular' });
    expect(goblins).toStrictEqual(dialectFor('goblins'));
    expect(learnDialect(d, { gcForm: 'singular-list' })).toStrictEqual(dialectFor('suite-2026-02'));
    expect(learnDialect(spec, { listenWantsPartial: true }).name).toBe('spec+learned');
    expect(Object.isFrozen(goblins)).toBe(true);
  });
});

describe('dialectForVersion: what a start-session version reveals', () => {
  it('goblins-0.N: that version and the Goblins forms', () => {
    const d = dialectForVersion(spec, 'goblins-0.12')!;
    expect(d).toStrictEqual({ ...dialectFor('goblins'), captpVersion: 'goblins-0.12', name: 'goblins@goblins-0.12' });
    expect(dialectForVersion(spec, 'goblins-0.16')!.captpVersion).toBe('goblins-0.16');
  });

  it('keeps what it cannot know (−0 folding) and moves knobs only down', () => {
    const d = dialectForVersion(dialectFor('endo'), 'goblins-0.11')!;
    expect(d.foldNegativeZero).toBe(true);
    expect(d.gcForm).toBe('singular');
    expect(d.name).toBe('endo+learned@goblins-0.11');
  });

  it('does NOT learn from "1.0" (everyone’s), nor from versions it does not know', () => {
    for (const v of ['1.0', '0.1', 'goblins-1.0', 'goblins-0.', 'goblins-0.12x', 'invalid-version-number', '']) {
      expect(dialectForVersion(spec, v)).toBeUndefined();
    }
  });
});
