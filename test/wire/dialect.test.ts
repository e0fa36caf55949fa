import { describe, expect, it } from 'vitest';
import {
  DIALECTS,
  ENDO_DIALECT,
  GOBLINS_DIALECT,
  SPEC_DIALECT,
  SUITE_2026_02_DIALECT,
  dialectFor,
  type DialectName,
  type DialectOverrides,
} from '../../src/wire/dialect.js';
import { codeOf } from '../helpers/codes.js';

describe('dialect presets', () => {
  it('has the four presets under their names', () => {
    expect(Object.keys(DIALECTS).sort()).toStrictEqual(['endo', 'goblins', 'spec', 'suite-2026-02']);
    expect(DIALECTS.spec).toBe(SPEC_DIALECT);
    expect(DIALECTS['suite-2026-02']).toBe(SUITE_2026_02_DIALECT);
    expect(DIALECTS.endo).toBe(ENDO_DIALECT);
    expect(DIALECTS.goblins).toBe(GOBLINS_DIALECT);
    for (const [name, d] of Object.entries(DIALECTS)) expect(d.name).toBe(name);
  });

  it('spec: current forms (CapTP knobs only: no framing, no websocket auth)', () => {
    expect(SPEC_DIALECT).toStrictEqual({
      name: 'spec',
      captpVersion: '1.0',
      fireAndForget: 'deliver',
      listenWantsPartial: false,
      gcForm: 'plural',
      foldNegativeZero: false,
    });
  });

  it('suite-2026-02 (6c146dc): deliver-only, 3-field listen, singular labels with lists', () => {
    expect(SUITE_2026_02_DIALECT).toMatchObject({
      captpVersion: '1.0',
      fireAndForget: 'deliver-only',
      listenWantsPartial: true,
      gcForm: 'singular-list',
      foldNegativeZero: false,
    });
  });

  it('endo (74db78f-equivalent): deliver, 3-field listen, plural GC, −0 folded', () => {
    expect(ENDO_DIALECT).toMatchObject({
      fireAndForget: 'deliver',
      listenWantsPartial: true,
      gcForm: 'plural',
      foldNegativeZero: true,
    });
  });

  it('goblins: deliver-only, 3-field listen, one GC record per position', () => {
    expect(GOBLINS_DIALECT).toMatchObject({
      captpVersion: '1.0',
      fireAndForget: 'deliver-only',
      listenWantsPartial: true,
      gcForm: 'singular',
    });
  });

  it('presets are frozen', () => {
    for (const d of Object.values(DIALECTS)) expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(DIALECTS)).toBe(true);
    expect(() => {
      (SPEC_DIALECT as { captpVersion: string }).captpVersion = 'x';
    }).toThrow(TypeError);
  });
});

describe('dialectFor', () => {
  it('returns a frozen copy of the preset', () => {
    const d = dialectFor('spec');
    expect(d).toStrictEqual(SPEC_DIALECT);
    expect(Object.isFrozen(d)).toBe(true);
  });

  it('applies overrides (an older Goblins version string)', () => {
    const d = dialectFor('goblins', { captpVersion: 'goblins-0.12' });
    expect(d).toStrictEqual({ ...GOBLINS_DIALECT, captpVersion: 'goblins-0.12' });
    expect(GOBLINS_DIALECT.captpVersion).toBe('1.0');
    expect(dialectFor('endo', { name: 'suite-2026-08', foldNegativeZero: false }).name).toBe('suite-2026-08');
  });

  const bad: [string, DialectName, DialectOverrides][] = [
    ['unknown preset', 'ridley' as DialectName, {}],
    ['inherited name', 'toString' as DialectName, {}],
    ['empty version', 'spec', { captpVersion: '' }],
    ['bad fire-and-forget', 'spec', { fireAndForget: 'deliver-maybe' as 'deliver' }],
    ['bad gc form', 'spec', { gcForm: 'plurals' as 'plural' }],
    // Netlayer settings are not dialect knobs any more: a caller still passing them learns so.
    ['framing (a tcp netlayer option now)', 'spec', { framing: 'none' } as DialectOverrides],
    ['websocketAuth (a websocket netlayer option now)', 'spec', { websocketAuth: 'legacy' } as DialectOverrides],
    ['non-boolean fold', 'spec', { foldNegativeZero: 1 as unknown as boolean }],
    ['non-boolean listen', 'spec', { listenWantsPartial: 'yes' as unknown as boolean }],
    ['empty name', 'spec', { name: '' }],
  ];
  it.each(bad)('refuses %s', (_n, name, overrides) => {
    expect(codeOf(() => dialectFor(name, overrides))).toBe('INVALID_ARGUMENT');
  });
});
