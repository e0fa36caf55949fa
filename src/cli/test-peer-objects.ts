import { CapmeshError } from '../util/errors.js';
import { SyrupRecord, Sym } from '../syrup/types.js';
import { E, far } from '../vat/index.js';
import { sturdyRefFromSyrup, type SturdyRef } from '../wire/index.js';

/**
 * The five objects the OCapN test suite expects a peer to host (notes §7),
 * each a far *function*: the suite calls them without a method name, and a far
 * function receives every argument as given.
 *
 * Behaviour, as the suite's tests check it (suite `6c146dc`, `5bfcde9` and
 * the `add-referencing-tests` branch):
 * - car factory builder: no arguments → a car factory. The factory takes one
 *   List `[color model]` of two Symbols and returns a car; anything else
 *   breaks (and the break reaches messages pipelined on the car). A car, called
 *   with no arguments, returns `"Vroom! I am a <color> <model> car!"`.
 * - echo GC: returns the List of its arguments and keeps nothing, so the
 *   references it was sent are collected and released with `op:gc-export(s)`.
 * - greeter: sends `"Hello"` to its one argument as a question (answer
 *   position and resolver), and drops the answer: the session then emits
 *   `op:gc-answer(s)` for it once the suite settles it.
 * - promise resolver: no arguments → `[promise resolver]`; the resolver's
 *   `fulfill value` / `break error` settle the promise (first call wins).
 * - sturdyref enlivener: takes an `<ocapn-sturdyref …>` and returns the live
 *   reference, opening a session to its vat if needed.
 */

/** The well-known swiss numbers, as ASCII text (sent as byte strings of these characters). */
export const SUITE_SWISS_NUMBERS = Object.freeze({
  carFactoryBuilder: 'JadQ0++RzsD4M+40uLxTWVaVqM10DcBJ',
  echoGc: 'IO58l1laTyhcrgDKbEzFOO32MDd6zE5w',
  greeter: 'VMDDd1voKWarCe2GvgLbxbVFysNzRPzx',
  promiseResolver: 'IokCxYmMj04nos2JN1TDoY1bT8dXh6Lr',
  sturdyrefEnlivener: 'gi02I1qghIwPiKGKleCQAOhpy3ZtYRpB',
});

export type SuiteObjectName = keyof typeof SUITE_SWISS_NUMBERS;

/** A well-known swiss number's bytes. */
export function suiteSwiss(name: SuiteObjectName): Uint8Array {
  const text = SUITE_SWISS_NUMBERS[name];
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export interface SuiteObjectsHost {
  /** Reaches a sturdyref's object (the vat's `enliven`). */
  enliven(ref: SturdyRef): Promise<unknown>;
  /** Told when an object has just dropped references it was sent, so the host can collect garbage soon. Optional. */
  requestGc?(): void;
}

const noop = (): void => {};

export function makeSuiteObjects(host: SuiteObjectsHost): Record<SuiteObjectName, object> {
  const requestGc = host.requestGc ?? noop;

  const makeCar = (color: string, model: string): object =>
    far(`car ${color} ${model}`, () => `Vroom! I am a ${color} ${model} car!`);

  const carFactory = far('car factory', (spec: unknown) => {
    if (!Array.isArray(spec) || spec.length !== 2 || !(spec[0] instanceof Sym) || !(spec[1] instanceof Sym)) {
      throw new CapmeshError('INVALID_ARGUMENT', 'a car factory takes one list of two symbols: [color model]');
    }
    return makeCar(spec[0].name, spec[1].name);
  });

  return {
    carFactoryBuilder: far('car factory builder', () => carFactory),
    echoGc: far('echo gc', (...args: unknown[]) => {
      requestGc();
      return args;
    }),
    greeter: far('greeter', (target: unknown) => {
      const answer = E(target)('Hello');
      // Dropped on purpose: only its settlement (and the gc-answer that follows) matters.
      answer.catch(noop);
    }),
    promiseResolver: far('promise resolver', () => {
      let resolve!: (value: unknown) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(noop);
      const resolver = far('resolver', {
        fulfill: (value: unknown) => resolve(value),
        break: (reason: unknown) => reject(reason),
      });
      return [promise, resolver];
    }),
    sturdyrefEnlivener: far('sturdyref enlivener', (ref: unknown) => {
      if (!(ref instanceof SyrupRecord)) {
        throw new CapmeshError('INVALID_ARGUMENT', 'the enlivener takes one <ocapn-sturdyref …> record');
      }
      return host.enliven(sturdyRefFromSyrup(ref));
    }),
  };
}

/** Something objects can be registered with under a given swiss number (a vat). */
export interface SwissRegistry {
  register(obj: object, options: { swiss: Uint8Array }): Promise<string>;
}

/** Registers the five objects under their well-known swiss numbers; returns each one's sturdyref URI. */
export async function registerSuiteObjects(
  registry: SwissRegistry,
  host: SuiteObjectsHost,
): Promise<Record<SuiteObjectName, string>> {
  const objects = makeSuiteObjects(host);
  const uris = {} as Record<SuiteObjectName, string>;
  for (const name of Object.keys(SUITE_SWISS_NUMBERS) as SuiteObjectName[]) {
    uris[name] = await registry.register(objects[name], { swiss: suiteSwiss(name) });
  }
  return uris;
}
