import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argumentValue, describeBreak } from '../../src/cli/commands/call.js';
import { formatResult, formatValue } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';
import { suiteSwiss, type SuiteObjectName } from '../../src/cli/test-peer-objects.js';
import { formatSturdyRef, parsePeerUri } from '../../src/mesh/uri.js';
import { Float64, SyrupRecord, Sym, Tagged, record } from '../../src/syrup/types.js';
import { CapmeshError } from '../../src/util/errors.js';
import { startTestPeerProcess, type TestPeerProcess } from '../conformance/harness/test-peer-process.js';
import { recordingIo } from './io.js';
import { createVat } from '../../src/mesh/index.js';
import { websocketNetlayer } from '../../src/netlayer/websocket/node.js';
import { far } from '../../src/vat/index.js';

describe('call: arguments and output', () => {
  it.each([
    [{ value: '42' }, 42n],
    [{ value: '-7' }, -7n],
    [{ value: '007' }, '007'],
    [{ value: 'true' }, true],
    [{ value: 'false' }, false],
    [{ value: 'hello' }, 'hello'],
    [{ value: '42', marker: 'str' }, '42'],
  ] as const)('$0.value ($0.marker) → $1', (arg, expected) => {
    expect(argumentValue(arg)).toEqual(expected);
  });

  it('--sym makes a symbol, --bytes a byte string', () => {
    expect(argumentValue({ value: 'red', marker: 'sym' })).toEqual(new Sym('red'));
    expect(argumentValue({ value: '00ff', marker: 'bytes' })).toEqual(Uint8Array.of(0, 255));
    expect(() => argumentValue({ value: 'zz', marker: 'bytes' })).toThrowError(/--bytes takes hex/);
  });

  it('renders results in spec-like notation; a top-level string as is', () => {
    expect(formatResult('Vroom!')).toBe('Vroom!');
    expect(formatResult(['a', 1n, new Sym('s'), true, Uint8Array.of(1, 2), new Float64(2), 1.5, null])).toBe(
      `["a" 1 's t 0x0102 2.0 1.5 null]`,
    );
    expect(formatValue({ k: [new Tagged('t', 1n)] })).toBe(`{"k": [<tagged 't 1>]}`);
    expect(formatValue(record('x', 1n) as SyrupRecord)).toBe(`<'x 1>`);
    expect(formatValue(Promise.resolve(1))).toBe('<promise>');
  });

  it('describes a break by its code', () => {
    expect(describeBreak(new CapmeshError('NOT_FOUND', 'gone'))).toBe('NOT_FOUND: gone');
    expect(describeBreak(new Error('plain'))).toBe('BROKEN: plain');
    expect(describeBreak(new Sym('oh-no'))).toBe("BROKEN: 'oh-no");
  });
});

describe('capmesh call against a real test-peer', () => {
  let peer: TestPeerProcess;
  const refFor = (name: SuiteObjectName): string => formatSturdyRef({ peer: parsePeerUri(peer.uri), swiss: suiteSwiss(name) });

  beforeAll(async () => {
    peer = await startTestPeerProcess(['--dialect', 'spec', '--framing', 'syrup']);
  });
  afterAll(async () => {
    expect(await peer.stop()).toBe(0);
  });

  it('calls the echo object with typed arguments and prints what it returns', async () => {
    const io = recordingIo();
    const code = await main(['call', refFor('echoGc'), '-', 'hello', '42', '--sym', 'ok', 'false', '--str', '7'], io);
    expect(io.err_).toEqual([]);
    expect(code).toBe(0);
    expect(io.out_).toEqual([`["hello" 42 'ok f "7"]`]);
  });

  it('sends a method as the leading symbol (a far function receives it as its first argument)', async () => {
    const io = recordingIo();
    expect(await main(['call', refFor('echoGc'), 'ping', '1'], io)).toBe(0);
    expect(io.out_).toEqual([`['ping 1]`]);
  });

  it('exits 1 with the error code when the answer breaks', async () => {
    const io = recordingIo();
    expect(await main(['call', refFor('sturdyrefEnlivener'), '-', 'not a sturdyref'], io)).toBe(1);
    expect(io.out_).toEqual([]);
    expect(io.err_).toEqual([expect.stringMatching(/^INVALID_ARGUMENT: the enlivener takes one <ocapn-sturdyref …> record$/)]);
  });

  it('exits 1 with NOT_FOUND for an unknown swiss number', async () => {
    const io = recordingIo();
    const uri = formatSturdyRef({ peer: parsePeerUri(peer.uri), swiss: Uint8Array.of(1, 2, 3) });
    expect(await main(['call', uri, '-'], io)).toBe(1);
    expect(io.err_).toEqual([expect.stringMatching(/^NOT_FOUND: /)]);
  });

  it('exits 1 with DISCONNECTED when nobody listens', async () => {
    const io = recordingIo();
    const dead = formatSturdyRef({
      peer: { transport: 'tcp-testing-only', designator: 'gone', hints: { host: '127.0.0.1', port: '1' } },
      swiss: Uint8Array.of(1),
    });
    expect(await main(['call', dead, '-'], io)).toBe(1);
    expect(io.err_).toEqual([expect.stringMatching(/^DISCONNECTED: /)]);
  });
});

describe('capmesh call over the websocket netlayer', () => {
  it('reaches an object on a websocket vat and calls a method on it', async () => {
    const vat = await createVat({ netlayers: [websocketNetlayer({ port: 0 })] });
    try {
      const uri = await vat.register(far('greeter', { greet: (name: unknown) => `Hello, ${String(name)}!` }));
      expect(uri).toMatch(/^ocapn:\/\/[a-z2-7]+\.websocket\/s\/.+\?url=ws/);
      const io = recordingIo();
      expect(await main(['call', uri, 'greet', 'Alice'], io)).toBe(0);
      expect(io.out_).toEqual(['Hello, Alice!']);
      const bad = recordingIo();
      expect(await main(['call', uri, 'frown'], bad)).toBe(1);
      expect(bad.err_).toEqual([expect.stringMatching(/^NO_SUCH_METHOD: /)]);
    } finally {
      await vat.close();
    }
  });
});
