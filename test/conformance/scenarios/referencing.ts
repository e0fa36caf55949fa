import { describe, expect, it } from 'vitest';
import { Sym } from '../../../src/syrup/types.js';
import { answerDesc, exportDesc, importObject, type TargetDesc } from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import type { RawSession } from '../harness/raw-session.js';
import { promiseAndResolver } from './listen.js';

/** `op:index`/`op:get` on `to` into a fresh answer, then a listen on that answer; returns our listener. */
function pick(s: RawSession, to: TargetDesc, key: { index: bigint } | { field: string }): number {
  const answerPos = s.nextAnswer();
  if ('index' in key) s.send({ op: 'index', to, index: key.index, answerPos });
  else s.send({ op: 'get', to, field: key.field, answerPos });
  const listener = s.nextImportObject();
  s.send({ op: 'listen', to: answerDesc(answerPos), listenDesc: importObject(listener) });
  return listener;
}

/** Unmerged suite branch `add-referencing-tests` (a79efb4), module `referencing_ops` (8 tests). */
export function referencingScenarios(c: Conformance): void {
  describe('op:index and op:get (unmerged add-referencing-tests)', () => {
    it('op:index on a desc:answer: the echo’s answer, symbols and all', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const answer = s.nextAnswer();
      s.send({
        op: 'deliver',
        to: exportDesc(echo),
        args: [new Sym('foo'), new Sym('bar'), new Sym('baz')],
        answerPos: answer,
        resolveMe: importObject(s.nextImportObject()),
      });
      const listener = pick(s, answerDesc(answer), { index: 1n });
      expect((await s.expectResolution(listener)).op.args).toEqual([new Sym('fulfill'), new Sym('bar')]);
    });

    it('op:index on a desc:export promise, fulfilled later with a list', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      const listener = pick(s, exportDesc(promise), { index: 2n });
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), [100n, 200n, 300n, 400n]]);
      expect((await s.expectResolution(listener)).op.args).toEqual([new Sym('fulfill'), 300n]);
    });

    it('op:index on a broken promise breaks', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      const listener = pick(s, exportDesc(promise), { index: 2n });
      s.sendOnly(exportDesc(resolver), [new Sym('break'), new Sym('oh-no')]);
      expect((await s.expectResolution(listener)).op.args[0]).toEqual(new Sym('break'));
    });

    it('op:index on something that is not a list breaks', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      const listener = pick(s, exportDesc(promise), { index: 2n });
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), new Sym('not-a-list')]);
      expect((await s.expectResolution(listener)).op.args[0]).toEqual(new Sym('break'));
    });

    it('op:get on a desc:answer: index into the echo’s list, then the struct’s field', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const answer = s.nextAnswer();
      s.send({ op: 'deliver', to: exportDesc(echo), args: [{ foo: 72n, bar: 'baz' }], answerPos: answer, resolveMe: importObject(s.nextImportObject()) });
      const first = s.nextAnswer();
      s.send({ op: 'index', to: answerDesc(answer), index: 0n, answerPos: first });
      const listener = pick(s, answerDesc(first), { field: 'foo' });
      expect((await s.expectResolution(listener)).op.args).toEqual([new Sym('fulfill'), 72n]);
    });

    it('op:get on a desc:export promise already fulfilled with a struct', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), { foo: 72n, bar: 'baz' }]);
      const listener = pick(s, exportDesc(promise), { field: 'foo' });
      expect((await s.expectResolution(listener)).op.args).toEqual([new Sym('fulfill'), 72n]);
    });

    it('op:get on a broken promise breaks', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      s.sendOnly(exportDesc(resolver), [new Sym('break'), new Sym('oh-no')]);
      const listener = pick(s, exportDesc(promise), { field: 'foo' });
      expect((await s.expectResolution(listener)).op.args[0]).toEqual(new Sym('break'));
    });

    it('op:get on something that is not a struct breaks', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), new Sym('not-a-struct')]);
      const listener = pick(s, exportDesc(promise), { field: 'foo' });
      expect((await s.expectResolution(listener)).op.args[0]).toEqual(new Sym('break'));
    });
  });
}
