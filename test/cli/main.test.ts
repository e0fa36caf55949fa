import { describe, expect, it } from 'vitest';
import { SUBCOMMANDS, VERSION, main } from '../../src/cli/main.js';
import { runCapmesh } from '../conformance/harness/test-peer-process.js';
import { recordingIo } from './io.js';

describe('capmesh main', () => {
  it('--help lists every subcommand with its summary and exits 0', async () => {
    const io = recordingIo();
    expect(await main(['--help'], io)).toBe(0);
    const text = io.out_.join('\n');
    expect(SUBCOMMANDS.map((c) => c.name)).toEqual(expect.arrayContaining(['test-peer', 'call']));
    for (const c of SUBCOMMANDS) expect(text).toContain(`  ${c.name.padEnd(12)} ${c.summary}`);
  });

  it('no command prints the usage to stderr and exits 2', async () => {
    const io = recordingIo();
    expect(await main([], io)).toBe(2);
    expect(io.err_.join('\n')).toMatch(/^Usage: capmesh <command>/);
  });

  it('an unknown command exits 2 and names it', async () => {
    const io = recordingIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err_.join('\n')).toContain('unknown command `frobnicate`');
    expect(io.out_).toEqual([]);
  });

  it('--version prints the version', async () => {
    const io = recordingIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out_).toEqual([VERSION]);
  });

  it('<command> --help prints that command’s usage', async () => {
    const io = recordingIo();
    expect(await main(['call', '--help'], io)).toBe(0);
    expect(io.out_.join('\n')).toMatch(/^Usage: capmesh call <sturdyref-uri> <method>/);
  });

  it.each([
    [['call'], /call needs a sturdyref URI and a method/],
    [['call', 'ocapn://nope', 'x'], /not an ocapn URI/],
    [['call', 'ocapn://a.tcp-testing-only/s/AAAA?port=1', 'x', '--sym'], /--sym must be followed by an argument/],
    [['call', 'ocapn://a.carrier-pigeon/s/AAAA', 'x'], /no netlayer for transport "carrier-pigeon"/],
    [['test-peer', '--port', 'lots'], /--port must be an integer from 0 to 65535/],
    [['test-peer', '--dialect', 'klingon'], /--dialect must be one of spec, suite-2026-02, endo, goblins/],
    [['test-peer', '--frobnicate'], /unknown option --frobnicate/],
  ])('usage error %j exits 2 with a message and the usage', async (argv, message) => {
    const io = recordingIo();
    expect(await main(argv, io)).toBe(2);
    const text = io.err_.join('\n');
    expect(text).toMatch(message);
    expect(text).toContain(`Usage: capmesh ${argv[0]}`);
  });

  it('the real bin/capmesh.mjs runs: --help exits 0, an unknown command exits 2', async () => {
    const help = await runCapmesh(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('test-peer');
    expect(help.stdout).toContain('call');
    const bad = await runCapmesh(['no-such-command']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command `no-such-command`');
  });
});
