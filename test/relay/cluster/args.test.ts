import { describe, expect, it } from 'vitest';
import { parseRelayArgs, RELAY_USAGE } from '../../../relay/index.js';

describe('capmesh relay cluster flags', () => {
  it('--cluster joins a cluster; --node-id, --cluster-prefix and --cluster-heartbeat-ms go with it', () => {
    expect(parseRelayArgs(['--cluster', 'redis://10.0.0.5:6379']).cluster).toEqual({ redis: 'redis://10.0.0.5:6379' });
    expect(parseRelayArgs(['--cluster=rediss://r:6380', '--node-id', 'relay-1', '--cluster-prefix=eu', '--cluster-heartbeat-ms', '500']).cluster).toEqual({
      redis: 'rediss://r:6380',
      nodeId: 'relay-1',
      prefix: 'eu',
      heartbeatMs: 500,
    });
    expect(parseRelayArgs([]).cluster).toBeUndefined();
    for (const flag of ['--cluster', '--node-id', '--cluster-prefix', '--cluster-heartbeat-ms']) expect(RELAY_USAGE).toContain(flag);
  });

  it('refuses a non-Redis URL, a bad node id, a zero heartbeat, and cluster flags without --cluster (INVALID_ARGUMENT)', () => {
    const bad = [
      ['--cluster', 'http://r:6379'],
      ['--cluster'],
      ['--cluster', 'redis://r', '--node-id', 'a b'],
      ['--cluster', 'redis://r', '--cluster-heartbeat-ms', '0'],
      ['--node-id', 'a'],
    ];
    for (const argv of bad) expect(() => parseRelayArgs(argv), argv.join(' ')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
