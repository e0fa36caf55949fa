import { assert } from '../util/assert.js';

/**
 * A peer's dialect: which revision of CapTP we *write* to it. Reading always
 * accepts every known variant, whatever the dialect. A dialect holds CapTP
 * knobs only: stream framing is the tcp-testing-only netlayer's `framing`
 * option and websocket peer-auth the websocket netlayers' `auth` option.
 *
 * Dialects are frozen plain objects; `dialectFor(name, overrides)` derives a
 * new one. The presets:
 *
 * | preset          | fire-and-forget  | listen  | GC ops                                    | −0 |
 * |-----------------|------------------|---------|-------------------------------------------|----|
 * | `spec`          | `op:deliver … f f` | 2 fields | `op:gc-exports`/`op:gc-answers`, lists  | kept |
 * | `suite-2026-02` | `op:deliver-only` | 3 fields | `op:gc-export`/`op:gc-answer`, lists (suite `6c146dc`) | kept |
 * | `endo`          | `op:deliver … f f` | 3 fields | plural, lists (suite `74db78f`)          | folded to +0 |
 * | `goblins`       | `op:deliver-only` | 3 fields | one `op:gc-export pos delta` / `op:gc-answer pos` per position | kept |
 *
 * Every preset writes version "1.0" (newer Goblins report 1.0; override
 * `captpVersion` for older Goblins' "goblins-0.12" and the like).
 *
 * A vat picks a dialect per peer (see `VatOptions.dialects` and
 * `dialect-learning.ts`): the vat's default, one configured for the peer's
 * locator, or one learned from what the peer writes.
 */

export type FireAndForgetForm = 'deliver' | 'deliver-only';
/** `plural`: `op:gc-exports`/`op:gc-answers` with lists; `singular-list`: the singular labels with lists; `singular`: one record per position. */
export type GcForm = 'plural' | 'singular-list' | 'singular';

export interface Dialect {
  readonly name: string;
  /** The `captp-version` string we send and require. */
  readonly captpVersion: string;
  readonly fireAndForget: FireAndForgetForm;
  /** Write `op:listen` with the old third field `wants-partial?` (always `f`). */
  readonly listenWantsPartial: boolean;
  readonly gcForm: GcForm;
  /** Write float −0 as +0 (Endo rejects −0 on read). */
  readonly foldNegativeZero: boolean;
}

export type DialectName = 'spec' | 'suite-2026-02' | 'endo' | 'goblins';
export type DialectOverrides = Partial<Omit<Dialect, 'name'>> & { readonly name?: string };

function freeze(d: Dialect): Dialect {
  return Object.freeze({ ...d });
}

export const SPEC_DIALECT: Dialect = freeze({
  name: 'spec',
  captpVersion: '1.0',
  fireAndForget: 'deliver',
  listenWantsPartial: false,
  gcForm: 'plural',
  foldNegativeZero: false,
});

export const SUITE_2026_02_DIALECT: Dialect = freeze({
  ...SPEC_DIALECT,
  name: 'suite-2026-02',
  fireAndForget: 'deliver-only',
  listenWantsPartial: true,
  gcForm: 'singular-list',
});

export const ENDO_DIALECT: Dialect = freeze({
  ...SPEC_DIALECT,
  name: 'endo',
  listenWantsPartial: true,
  foldNegativeZero: true,
});

export const GOBLINS_DIALECT: Dialect = freeze({
  ...SPEC_DIALECT,
  name: 'goblins',
  fireAndForget: 'deliver-only',
  listenWantsPartial: true,
  gcForm: 'singular',
});

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = Object.freeze({
  spec: SPEC_DIALECT,
  'suite-2026-02': SUITE_2026_02_DIALECT,
  endo: ENDO_DIALECT,
  goblins: GOBLINS_DIALECT,
});

const CHOICES = {
  fireAndForget: ['deliver', 'deliver-only'],
  gcForm: ['plural', 'singular-list', 'singular'],
} as const;

const KNOBS: readonly string[] = Object.keys(SPEC_DIALECT);

/**
 * A preset, optionally with some knobs changed (the result is a new frozen
 * dialect; its name stays the preset's unless `overrides.name` is given).
 * Throws `INVALID_ARGUMENT` for an unknown preset, an unknown knob or a bad knob value.
 */
export function dialectFor(name: DialectName, overrides: DialectOverrides = {}): Dialect {
  assert(Object.hasOwn(DIALECTS, name), 'name', `one of ${Object.keys(DIALECTS).join(', ')}`, name);
  for (const knob of Object.keys(overrides)) {
    assert(KNOBS.includes(knob), `overrides.${knob}`, `one of ${KNOBS.join(', ')} (framing and websocket auth are netlayer options)`, knob);
  }
  const d: Dialect = { ...DIALECTS[name], ...overrides };
  assert(typeof d.name === 'string' && d.name.length > 0, 'overrides.name', 'a non-empty string', d.name);
  assert(typeof d.captpVersion === 'string' && d.captpVersion.length > 0, 'overrides.captpVersion', 'a non-empty string', d.captpVersion);
  assert(typeof d.listenWantsPartial === 'boolean', 'overrides.listenWantsPartial', 'a boolean', d.listenWantsPartial);
  assert(typeof d.foldNegativeZero === 'boolean', 'overrides.foldNegativeZero', 'a boolean', d.foldNegativeZero);
  for (const [knob, allowed] of Object.entries(CHOICES)) {
    const value = d[knob as keyof typeof CHOICES];
    assert((allowed as readonly string[]).includes(value), `overrides.${knob}`, `one of ${allowed.join(', ')}`, value);
  }
  return freeze(d);
}
