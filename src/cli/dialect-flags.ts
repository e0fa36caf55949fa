import { DIALECTS, dialectFor, type Dialect, type DialectName, type FireAndForgetForm, type GcForm } from '../wire/index.js';
import { choice, type ParsedArgs } from './args.js';

/**
 * The dialect flags shared by `test-peer` and `call`: a preset, then single
 * knobs changed on top of it (suite branch `remove-op-deliver-only` wants
 * `endo` with the singular GC labels, for instance). The preset is the vat's
 * default dialect; unless `--fixed-dialect`, a session still learns older
 * forms from what its peer writes (see `VatOptions.learnDialects`). Framing
 * and websocket auth are netlayer flags (`netlayers.ts`).
 */
export const DIALECT_VALUE_FLAGS = ['dialect', 'gc-form', 'fire-and-forget'] as const;
export const DIALECT_BOOLEAN_FLAGS = ['fixed-dialect'] as const;

export const DIALECT_USAGE = [
  '  --dialect NAME          what we write: spec (default), suite-2026-02, endo, goblins',
  '  --gc-form FORM          override GC labels: plural, singular-list, singular',
  '  --fire-and-forget FORM  override: deliver (op:deliver … f f) or deliver-only',
  '  --fixed-dialect         write the dialect as given to every peer: learn nothing',
  '                          from what a peer writes (default: learn)',
].join('\n');

export interface DialectChoice {
  readonly dialect: Dialect;
  /** False with `--fixed-dialect`. */
  readonly learnDialects: boolean;
}

export function dialectFromArgs(parsed: ParsedArgs): DialectChoice {
  const name = choice(parsed, 'dialect', Object.keys(DIALECTS) as DialectName[], 'spec');
  const gcForm = choice<GcForm>(parsed, 'gc-form', ['plural', 'singular-list', 'singular']);
  const fireAndForget = choice<FireAndForgetForm>(parsed, 'fire-and-forget', ['deliver', 'deliver-only']);
  const overrides = {
    ...(gcForm ? { gcForm } : {}),
    ...(fireAndForget ? { fireAndForget } : {}),
  };
  return { dialect: dialectFor(name, overrides), learnDialects: !parsed.booleans.has('fixed-dialect') };
}
