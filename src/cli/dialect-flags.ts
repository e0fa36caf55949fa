import { DIALECTS, dialectFor, type Dialect, type DialectName, type FireAndForgetForm, type GcForm, type StreamFraming } from '../wire/index.js';
import { choice, type ParsedArgs } from './args.js';

/**
 * The dialect flags shared by `test-peer` and `call`: a preset, then single
 * knobs changed on top of it (suite branch `remove-op-deliver-only` wants
 * `endo` with the singular GC labels, for instance).
 */
export const DIALECT_FLAGS = ['dialect', 'framing', 'gc-form', 'fire-and-forget'] as const;

export const DIALECT_USAGE = [
  '  --dialect NAME          what we write: spec (default), suite-2026-02, endo, goblins',
  '  --framing none|syrup    stream framing (default: the dialect\'s)',
  '  --gc-form FORM          override GC labels: plural, singular-list, singular',
  '  --fire-and-forget FORM  override: deliver (op:deliver … f f) or deliver-only',
].join('\n');

export interface DialectChoice {
  readonly dialect: Dialect;
  readonly framing: StreamFraming;
}

export function dialectFromArgs(parsed: ParsedArgs): DialectChoice {
  const name = choice(parsed, 'dialect', Object.keys(DIALECTS) as DialectName[], 'spec');
  const gcForm = choice<GcForm>(parsed, 'gc-form', ['plural', 'singular-list', 'singular']);
  const fireAndForget = choice<FireAndForgetForm>(parsed, 'fire-and-forget', ['deliver', 'deliver-only']);
  const overrides = {
    ...(gcForm ? { gcForm } : {}),
    ...(fireAndForget ? { fireAndForget } : {}),
  };
  const dialect = dialectFor(name, overrides);
  const framing = choice<StreamFraming>(parsed, 'framing', ['none', 'syrup'], dialect.framing);
  return { dialect, framing };
}
