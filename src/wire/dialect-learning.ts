import { SyrupRecord, type SyrupValue } from '../syrup/types.js';
import { DIALECTS, GOBLINS_DIALECT, type Dialect, type FireAndForgetForm, type GcForm } from './dialect.js';

/**
 * Learning a peer's dialect from what it writes. Pure functions: the session
 * calls them on each message it has read (see `CaptpSession`), the connection
 * shell on the peer's `op:start-session`.
 *
 * **The rule.** We only ever move a writing knob *down* — from the current
 * spec's form to an older one — and only to a form the peer has just written.
 * Every known implementation reads the forms it writes, so the peer
 * demonstrably reads that form; it may or may not read the newer one, so the
 * older form is the safe choice from then on. A knob never moves back up, so
 * a session changes each knob at most twice and never flip-flops.
 *
 * | the peer writes                              | we write to it from then on              |
 * |----------------------------------------------|------------------------------------------|
 * | `op:deliver-only`                            | fire-and-forget as `op:deliver-only`     |
 * | `op:listen` with 3 fields                    | `op:listen` with `wants-partial? = f`    |
 * | `op:gc-export` / `op:gc-answer` with lists   | GC `singular-list` (unless already `singular`) |
 * | `op:gc-export pos delta` / `op:gc-answer pos`| GC `singular` (one record per position)  |
 * | start-session version `goblins-0.N` (on a connection the peer dialled: our hello answers it) | that version, and the `goblins` forms (see `dialectForVersion`) |
 *
 * One GC knob covers both GC messages: a peer's form for one is taken for
 * both, as every known peer writes the two alike.
 *
 * **What cannot be learned** (configure it per peer: `VatOptions.dialects`):
 * - −0 folding. Endo rejects −0 on read but never writes one, so nothing it
 *   sends reveals it; the first −0 we send aborts the session.
 * - Version "1.0": every preset (spec, suite, Endo, newer Goblins) sends it,
 *   so it tells nothing about the forms.
 * - The newer forms (`op:deliver … f f`, 2-field listen, plural GC): a peer
 *   that writes them may still read the older ones, and going back up is
 *   never needed for a peer to read us.
 * - Anything before the peer's first message of that kind: until then we
 *   write the configured (or default) dialect, which a peer that reads only
 *   an older form cannot read. Our first fire-and-forget to a Goblins peer
 *   that spoke version "1.0" goes as `op:deliver … f f`.
 *
 * **Order.** Learning applies from the next message written after the one
 * that revealed the form was read; nothing already written is re-sent.
 */

/** The writing knobs one received message reveals (only those it shows). */
export interface RevealedForms {
  readonly fireAndForget?: FireAndForgetForm;
  readonly listenWantsPartial?: boolean;
  readonly gcForm?: GcForm;
}

/** Older is larger: a knob only ever moves to a larger rank. */
const GC_RANK: Readonly<Record<GcForm, number>> = { plural: 0, 'singular-list': 1, singular: 2 };

/**
 * What a message the peer wrote shows about its forms. `value` is a record
 * that `opFromRecord` accepted (call this after reading it, never on input
 * that failed to read). Messages in the current spec's form reveal nothing.
 */
export function formsRevealedBy(value: SyrupValue): RevealedForms {
  if (!(value instanceof SyrupRecord)) return NOTHING_REVEALED;
  switch (value.labelName) {
    case 'op:deliver-only':
      return DELIVER_ONLY;
    case 'op:listen':
      return value.fields.length === 3 ? LISTEN_PARTIAL : NOTHING_REVEALED;
    case 'op:gc-export':
    case 'op:gc-answer':
      return { gcForm: Array.isArray(value.fields[0]) ? 'singular-list' : 'singular' };
    default:
      return NOTHING_REVEALED;
  }
}

/** What most messages reveal (nothing); shared, since every incoming message is looked at. */
const NOTHING_REVEALED: RevealedForms = Object.freeze({});
const DELIVER_ONLY: RevealedForms = Object.freeze({ fireAndForget: 'deliver-only' });
const LISTEN_PARTIAL: RevealedForms = Object.freeze({ listenWantsPartial: true });

/**
 * `current` with each knob `revealed` moved down to the peer's form where
 * that form is older; `current` itself (the same object) when nothing
 * changes. A changed dialect is named after the preset it now equals
 * (writing knobs and version alike), else `<current name>+learned`.
 */
export function learnDialect(current: Dialect, revealed: RevealedForms): Dialect {
  if (revealed === NOTHING_REVEALED) return current;
  const next = { ...current };
  let changed = false;
  if (revealed.fireAndForget === 'deliver-only' && current.fireAndForget !== 'deliver-only') {
    next.fireAndForget = 'deliver-only';
    changed = true;
  }
  if (revealed.listenWantsPartial === true && !current.listenWantsPartial) {
    next.listenWantsPartial = true;
    changed = true;
  }
  if (revealed.gcForm !== undefined && GC_RANK[revealed.gcForm] > GC_RANK[current.gcForm]) {
    next.gcForm = revealed.gcForm;
    changed = true;
  }
  if (!changed) return current;
  return Object.freeze({ ...next, name: nameOf(next, current.name) });
}

function nameOf(d: Omit<Dialect, 'name'>, from: string): string {
  for (const preset of Object.values(DIALECTS)) {
    if (
      preset.captpVersion === d.captpVersion &&
      preset.fireAndForget === d.fireAndForget &&
      preset.listenWantsPartial === d.listenWantsPartial &&
      preset.gcForm === d.gcForm &&
      preset.foldNegativeZero === d.foldNegativeZero
    ) {
      return preset.name;
    }
  }
  return from.endsWith('+learned') ? from : `${from}+learned`;
}

/** Older Goblins' version strings: `goblins-0.11`, `goblins-0.12`, `goblins-0.16`… */
const GOBLINS_VERSION = /^goblins-0\.[0-9]{1,4}$/;

/**
 * The dialect a start-session version reveals, learned on top of `current`:
 * for `goblins-0.N`, `current` moved down to the `goblins` forms with that
 * version string (−0 folding is kept as it was). Undefined for a version
 * that reveals nothing we know (`"1.0"` is everyone's; any other is refused
 * with `BAD_VERSION` unless it is `current`'s own).
 */
export function dialectForVersion(current: Dialect, captpVersion: string): Dialect | undefined {
  if (!GOBLINS_VERSION.test(captpVersion)) return undefined;
  const forms = learnDialect(current, {
    fireAndForget: GOBLINS_DIALECT.fireAndForget,
    listenWantsPartial: GOBLINS_DIALECT.listenWantsPartial,
    gcForm: GOBLINS_DIALECT.gcForm,
  });
  const versioned = { ...forms, captpVersion };
  return Object.freeze({ ...versioned, name: forms === current ? `${current.name}@${captpVersion}` : `${forms.name}@${captpVersion}` });
}
