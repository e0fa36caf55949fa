import { describe, expect, it } from 'vitest';
import { Sym, type SyrupValue } from '../../../src/syrup/types.js';
import { answerDesc, descriptorFromSyrup, exportDesc, importObject } from '../../../src/wire/index.js';
import type { Conformance } from '../harness/context.js';
import { expectFireAndForgetForm } from '../harness/forms.js';
import { importArg } from '../harness/raw-session.js';

/** Suite module `op_delivers` / `op_deliver` (4 tests). */
export function deliverScenarios(c: Conformance): void {
  describe('op:deliver', () => {
    it('fire-and-forget to the greeter: it sends "Hello" to our object, as a question with an answer and a resolver', async () => {
      const s = await c.session();
      const greeter = await s.fetch('greeter');
      const toGreet = s.nextImportObject();
      s.sendOnly(exportDesc(greeter), [importArg(toGreet)]);
      const greeting = await s.expectDeliverTo(toGreet);
      expect(greeting.record.labelName).toBe('op:deliver');
      expect(greeting.op.args).toEqual(['Hello']);
      expect(greeting.op.answerPos).toEqual(expect.any(Number));
      expect(greeting.op.resolveMe?.type).toBe('import-object');
    });

    it('deliver with a resolver: the echo fulfills it with its arguments, in the dialect’s fire-and-forget form', async () => {
      const s = await c.session();
      const echo = await s.fetch('echoGc');
      const args: SyrupValue[] = ['foo', 1n, false, new TextEncoder().encode('bar'), ['baz']];
      const { resolver } = s.ask(exportDesc(echo), args);
      const response = await s.expectResolution(resolver);
      expectFireAndForgetForm(response, c.config.dialect);
      expect(response.op.args).toEqual([new Sym('fulfill'), args]);
    });

    it('promise pipelining: fetch → car factory → car → drive, each sent to the previous answer', async () => {
      const s = await c.session();
      const builder = s.fetchPipelined('carFactoryBuilder');
      const factory = s.nextAnswer();
      s.send({ op: 'deliver', to: answerDesc(builder), args: [], answerPos: factory, resolveMe: importObject(s.nextImportObject()) });
      const car = s.nextAnswer();
      s.send({
        op: 'deliver',
        to: answerDesc(factory),
        args: [[new Sym('red'), new Sym('zoomracer')]],
        answerPos: car,
        resolveMe: importObject(s.nextImportObject()),
      });
      const drive = s.nextImportObject();
      s.send({ op: 'deliver', to: answerDesc(car), args: [], answerPos: null, resolveMe: importObject(drive) });
      const response = await s.expectResolution(drive);
      expect(response.op.args).toEqual([new Sym('fulfill'), 'Vroom! I am a red zoomracer car!']);
    });

    it('promise pipelining with a break: bad car specs break the car, and the drive sent to it', async () => {
      const s = await c.session();
      const builder = s.fetchPipelined('carFactoryBuilder');
      const factory = s.nextAnswer();
      s.send({ op: 'deliver', to: answerDesc(builder), args: [], answerPos: factory, resolveMe: importObject(s.nextImportObject()) });
      const car = s.nextAnswer();
      const carResolver = s.nextImportObject();
      s.send({ op: 'deliver', to: answerDesc(factory), args: [[1n, 2n, 3n, 4n, 5n]], answerPos: car, resolveMe: importObject(carResolver) });
      const drive = s.nextImportObject();
      s.send({ op: 'deliver', to: answerDesc(car), args: [], answerPos: null, resolveMe: importObject(drive) });
      const response = await s.expectResolution(drive);
      expectFireAndForgetForm(response, c.config.dialect);
      expect(response.op.args).toHaveLength(2);
      expect(response.op.args[0]).toEqual(new Sym('break'));
      // The car's own resolver was told too (it came first: the drive was queued behind it).
      const carAnswer = s.log.find((r) => r.op.op === 'deliver' && r.op.to.type === 'export' && r.op.to.position === carResolver);
      expect(carAnswer?.op.op === 'deliver' && carAnswer.op.args[0]).toEqual(new Sym('break'));
      expect(descriptorFromSyrup(response.op.args[1]!)).toBeUndefined();
    });
  });
}
