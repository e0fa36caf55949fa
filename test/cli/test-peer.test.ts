import { describe, expect, it } from 'vitest';
import { suiteSwiss } from '../../src/cli/test-peer-objects.js';
import { formatSturdyRef, parsePeerUri } from '../../src/mesh/uri.js';
import { runCapmesh, startTestPeerProcess } from '../conformance/harness/test-peer-process.js';
import { parseLimits } from '../../src/cli/commands/test-peer.js';
import { UsageError } from '../../src/cli/subcommand.js';

describe('capmesh test-peer (child process)', () => {
  it('prints its peer URI first, its sturdyrefs on stderr, serves `capmesh call`, and exits 0 on SIGTERM', async () => {
    const peer = await startTestPeerProcess(['--dialect', 'suite-2026-02', '--framing', 'none', '--designator', 'conformance']);
    try {
      expect(peer.uri).toMatch(/^ocapn:\/\/conformance\.tcp-testing-only\?host=127\.0\.0\.1&port=[1-9][0-9]*$/);
      const locator = parsePeerUri(peer.uri);
      const greeter = formatSturdyRef({ peer: locator, swiss: suiteSwiss('greeter') });
      await peer.stderrContains(greeter);
      expect(peer.stderr()).toContain('dialect suite-2026-02 (gc singular-list, fire-and-forget deliver-only), framing none');
      const car = await runCapmesh([
        'call',
        formatSturdyRef({ peer: locator, swiss: suiteSwiss('echoGc') }),
        '-',
        '--sym',
        'red',
        '--dialect',
        'suite-2026-02',
        '--framing',
        'none',
      ]);
      expect(car).toEqual({ code: 0, stdout: "['red]\n", stderr: '' });
    } finally {
      expect(await peer.stop('SIGTERM')).toBe(0);
    }
    expect(peer.stderr()).toContain('SIGTERM, shutting down');
  });

  it('shuts down cleanly on SIGINT too', async () => {
    const peer = await startTestPeerProcess([]);
    expect(peer.uri).toMatch(/^ocapn:\/\/[a-z2-7]{52}\.tcp-testing-only\?/);
    expect(await peer.stop('SIGINT')).toBe(0);
    expect(peer.stderr()).toContain('SIGINT, shutting down');
  });

  it('exits 1 with a message when it cannot listen', async () => {
    const first = await startTestPeerProcess([]);
    try {
      const port = parsePeerUri(first.uri).hints!['port']!;
      const second = await runCapmesh(['test-peer', '--port', port]);
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr).toMatch(/DISCONNECTED: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await first.stop();
    }
  });
});

describe('capmesh test-peer --limits', () => {
  it('takes known VatLimits names with positive integer values', () => {
    expect(parseLimits('{"maxQueuedMessages":100,"maxNodes":5,"maxUnsentBytes":1024,"maxFrameBytes":9}')).toEqual({
      maxQueuedMessages: 100,
      maxNodes: 5,
      maxUnsentBytes: 1024,
      maxFrameBytes: 9,
    });
  });

  it('refuses unknown names, non-integers and non-objects with a usage error', () => {
    expect(() => parseLimits('{"maxQueued":1}')).toThrow(UsageError);
    expect(() => parseLimits('{"maxAnswers":0}')).toThrow(/positive integer/);
    expect(() => parseLimits('{"maxAnswers":1.5}')).toThrow(UsageError);
    expect(() => parseLimits('[1]')).toThrow(/JSON object/);
    expect(() => parseLimits('nope')).toThrow(/JSON object/);
  });
});
