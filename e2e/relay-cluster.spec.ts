import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { startRedis, type TestRedis } from '../test/relay/cluster/helpers.js';
import { closeTabs, greet, openTabs, registerGreeter } from './helpers.js';

let redis: TestRedis;
let nodeA: RelayServer;
let nodeB: RelayServer;
test.beforeAll(async () => {
  redis = await startRedis();
  nodeA = await startTestRelay({ cluster: { redis: redis.url, nodeId: 'a', heartbeatMs: 500 } });
  nodeB = await startTestRelay({ cluster: { redis: redis.url, nodeId: 'b', heartbeatMs: 500 } });
});
test.afterAll(async () => {
  await nodeA?.close();
  await nodeB?.close();
  await redis?.close();
});

function metric(relay: RelayServer, line: string): number {
  const found = relay.metricsText().split('\n').find((l) => l.startsWith(`${line} `));
  return Number(found?.slice(line.length + 1));
}

test('two tabs attached to different relay nodes open a WebRTC path: their signals cross the nodes through Redis', async ({ browser }) => {
  const [alice] = await openTabs(browser, nodeA, 1);
  const [bob] = await openTabs(browser, nodeB, 1);
  expect(nodeA.isRegistered(alice!.designator)).toBe(true);
  expect(nodeB.isRegistered(bob!.designator)).toBe(true);
  await expect.poll(() => nodeB.cluster()?.peersKnown).toBe(2);
  const aliceUri = await registerGreeter(alice!.page, 'Hello from node a');
  expect(await greet(bob!.page, aliceUri, 'Bob')).toBe('Hello from node a, Bob');
  // The session runs on a data channel, negotiated with signals that went b → a and a → b.
  expect(await pathsOf(bob!.page)).toEqual({ [alice!.designator]: 'webrtc' });
  expect(metric(nodeB, 'capmesh_relay_cluster_messages_sent_total{kind="signal"}')).toBeGreaterThan(0);
  expect(metric(nodeA, 'capmesh_relay_cluster_messages_sent_total{kind="signal"}')).toBeGreaterThan(0);
  expect(metric(nodeA, 'capmesh_relay_cluster_messages_received_total{kind="signal"}')).toBeGreaterThan(0);
  await closeTabs([alice!, bob!]);
});
