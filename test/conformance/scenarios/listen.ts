import { describe, expect, it } from 'vitest';
import { Sym } from '../../../src/syrup/types.js';
import { descriptorFromSyrup, exportDesc, importObject } from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import { expectFireAndForgetForm } from '../harness/forms.js';
import type { RawSession } from '../harness/raw-session.js';

/** The promise resolver object: a `[promise resolver]` pair, as positions at the peer. */
export async function promiseAndResolver(s: RawSession): Promise<{ promise: number; resolver: number }> {
  const maker = await s.fetch('promiseResolver');
  const { resolver } = s.ask(exportDesc(maker), []);
  const response = await s.expectResolution(resolver);
  expect(response.op.args[0]).toEqual(new Sym('fulfill'));
  const pair = response.op.args[1];
  if (!Array.isArray(pair) || pair.length !== 2) throw new Error('the promise resolver must answer with a 2-element list');
  const promise = descriptorFromSyrup(pair[0]);
  const res = descriptorFromSyrup(pair[1]);
  expect(promise?.type).toBe('import-promise');
  expect(res?.type).toBe('import-object');
  return { promise: (promise as { position: number }).position, resolver: (res as { position: number }).position };
}

/** Suite module `op_listen` (3 tests). */
export function listenScenarios(c: Conformance): void {
  describe('op:listen', () => {
    it('listen, then fulfill: the listener is told the value', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      const listener = s.nextImportObject();
      s.send({ op: 'listen', to: exportDesc(promise), listenDesc: importObject(listener) });
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), new Sym('ok')]);
      const response = await s.expectResolution(listener);
      expectFireAndForgetForm(response, c.config.dialect);
      expect(response.op.args).toEqual([new Sym('fulfill'), new Sym('ok')]);
    });

    it('listen, then break: the listener is told the error as sent', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      const listener = s.nextImportObject();
      s.send({ op: 'listen', to: exportDesc(promise), listenDesc: importObject(listener) });
      s.sendOnly(exportDesc(resolver), [new Sym('break'), new Sym('oh-no')]);
      const response = await s.expectResolution(listener);
      expect(response.op.args).toEqual([new Sym('break'), new Sym('oh-no')]);
    });

    it('listen to a promise already resolved: the listener is told at once', async () => {
      const s = await c.session();
      const { promise, resolver } = await promiseAndResolver(s);
      s.sendOnly(exportDesc(resolver), [new Sym('fulfill'), new Sym('ok')]);
      const listener = s.nextImportObject();
      s.send({ op: 'listen', to: exportDesc(promise), listenDesc: importObject(listener) });
      const response = await s.expectResolution(listener);
      expect(response.op.args).toEqual([new Sym('fulfill'), new Sym('ok')]);
    });
  });
}
