import { describe, expect, it } from 'vitest';
import { errorFromWireMessage, errorToWire } from '../../src/captp/errors-on-wire.js';
import { CapmeshError } from '../../src/util/errors.js';
import { E, far } from '../../src/vat/index.js';
import { makePair } from './harness.js';

const wireText = (error: Error): unknown => errorToWire(error).fields[0];

describe('errors on the wire', () => {
  it('an uncoded message read from the wire is written back unchanged (no "BROKEN: " gained)', () => {
    const read = errorFromWireMessage('oops: the car broke');
    expect(read).toMatchObject({ code: 'BROKEN', message: 'oops: the car broke' });
    expect(wireText(read)).toBe('oops: the car broke');
    // Passing it through any number of capmesh vats changes nothing.
    expect(wireText(errorFromWireMessage(wireText(errorFromWireMessage('oops')) as string))).toBe('oops');
  });

  it('coded errors keep their prefix, and a BROKEN message that looks coded keeps "BROKEN: " so it reads back as BROKEN', () => {
    expect(wireText(new CapmeshError('NOT_FOUND', 'no such swiss'))).toBe('NOT_FOUND: no such swiss');
    expect(errorFromWireMessage('NOT_FOUND: no such swiss')).toMatchObject({ code: 'NOT_FOUND', message: 'no such swiss' });
    const lookalike = new CapmeshError('BROKEN', 'NOT_FOUND: no such swiss');
    expect(wireText(lookalike)).toBe('BROKEN: NOT_FOUND: no such swiss');
    expect(errorFromWireMessage(wireText(lookalike) as string)).toMatchObject({ code: 'BROKEN', message: 'NOT_FOUND: no such swiss' });
    // An unknown code-like prefix is just text.
    expect(wireText(errorFromWireMessage('NOPE_X: y'))).toBe('NOPE_X: y');
  });

  it('A calls B, B forwards the rejection it got from C: A sees C\'s message as C sent it', async () => {
    const c = far('c', {
      fail: () => {
        throw new Error('no greeting today');
      },
    });
    const bToC = makePair({ bootstrapB: c });
    const b = far('b', { fail: () => E(bToC.a.session.bootstrap() as typeof c).fail() });
    const aToB = makePair({ bootstrapB: b });
    const result = E(aToB.a.session.bootstrap() as typeof b).fail();
    const caught = result.catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) {
      await aToB.settle();
      await bToC.settle();
    }
    expect(bToC.take()).toContain('B>A deliver export:1 [\'break <desc:error "no greeting today">] ans=f res=f');
    expect(aToB.take()).toContain('B>A deliver export:1 [\'break <desc:error "no greeting today">] ans=f res=f');
    expect(await caught).toMatchObject({ code: 'BROKEN', message: 'no greeting today' });
  });
});
