import { describe, expect, it } from 'vitest';
import { Sym } from '../../../src/syrup/types.js';
import { exportDesc } from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import { expectGcForm } from '../harness/forms.js';
import { importArg, type RawSession } from '../harness/raw-session.js';

/**
 * Reads GC messages (checking each one's form) until the deltas released for
 * our export `position` add up to `total`; fails if they overshoot.
 */
async function expectReleased(c: Conformance, s: RawSession, position: number, total: number): Promise<void> {
  let seen = 0;
  while (seen < total) {
    const gc = await s.expect('gc-exports');
    expectGcForm(gc, c.config.dialect);
    for (const e of gc.op.entries) if (e.position === position) seen += e.delta;
  }
  expect(seen).toBe(total);
}

/** Suite module `op_gc` (4 tests). */
export function gcScenarios(c: Conformance): void {
  describe('op:gc-export(s) and op:gc-answer(s)', () => {
    it('one reference sent to the echo is released with a delta of 1', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const local = s.nextImportObject();
      s.sendOnly(exportDesc(echo), [importArg(local)]);
      await expectReleased(c, s, local, 1);
    });

    it('four references in one message are released with deltas summing to 4', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const local = s.nextImportObject();
      s.sendOnly(exportDesc(echo), [importArg(local), importArg(local), importArg(local), importArg(local)]);
      await expectReleased(c, s, local, 4);
    });

    it('four references in four messages are released with deltas summing to 4', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const local = s.nextImportObject();
      for (let i = 0; i < 4; i++) s.sendOnly(exportDesc(echo), [importArg(local)]);
      await expectReleased(c, s, local, 4);
    });

    it('the greeter’s question is released with op:gc-answer(s) once we answer it', async () => {
      const s = await c.session();
      const greeter = await s.fetch('greeter');
      const toGreet = s.nextImportObject();
      s.sendOnly(exportDesc(greeter), [importArg(toGreet)]);
      const greeting = await s.expectDeliverTo(toGreet);
      const answer = greeting.op.answerPos;
      const resolveMe = greeting.op.resolveMe;
      if (answer === null || resolveMe === null) throw new Error('the greeter must ask with an answer position and a resolver');
      s.sendOnly(exportDesc(resolveMe.position), [new Sym('fulfill'), 'Hello']);
      for (;;) {
        const gc = await s.expect('gc-answers');
        expectGcForm(gc, c.config.dialect);
        if (gc.op.positions.includes(answer)) break;
      }
    });
  });
}
