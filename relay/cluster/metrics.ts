import type { NodeMessageKind } from './wire.js';

/** Upper bounds (seconds) of the routing-latency histogram buckets. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

/**
 * Counters of one cluster node, rendered after the relay's own metrics in
 * `GET /metrics`.
 */
export class ClusterMetrics {
  readonly sent: Record<NodeMessageKind, number> = { open: 0, data: 0, close: 0, signal: 0, undeliverable: 0 };
  readonly received: Record<NodeMessageKind, number> = { open: 0, data: 0, close: 0, signal: 0, undeliverable: 0 };
  bytesSent = 0;
  bytesReceived = 0;
  /** Messages from other nodes that could not be used (malformed, unknown circuit). */
  dropped = 0;
  /** Local registrations ended because a newer one was made on another node. */
  replacedRemote = 0;
  /** Times the node re-announced its registrations after reconnecting to Redis. */
  reannounces = 0;
  /** Times the connection to Redis was lost. */
  redisDisconnects = 0;
  readonly #counts: number[] = BUCKETS.map(() => 0);
  #latencyCount = 0;
  #latencySum = 0;

  /** One message arrived `seconds` after the other node sent it (clocks of both hosts: on one host exact, across hosts skewed). */
  observeLatency(seconds: number): void {
    const s = Math.max(0, seconds);
    this.#latencyCount++;
    this.#latencySum += s;
    for (let i = 0; i < BUCKETS.length; i++) if (s <= BUCKETS[i]!) this.#counts[i]!++;
  }

  render(gauges: { readonly nodes: number; readonly peersKnown: number; readonly stubs: number; readonly redisUp: boolean }): string {
    const out: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter' | 'histogram', help: string, samples: readonly [string, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    metric('capmesh_relay_cluster_redis_up', 'gauge', '1 while connected to Redis.', [['', gauges.redisUp ? 1 : 0]]);
    metric('capmesh_relay_cluster_nodes', 'gauge', 'Live nodes of the cluster, this one included.', [['', gauges.nodes]]);
    metric('capmesh_relay_cluster_peers_known', 'gauge', 'Designators in this node\'s copy of the cluster directory.', [['', gauges.peersKnown]]);
    metric('capmesh_relay_cluster_stubs', 'gauge', 'Stand-ins for peers of other nodes this node routes to.', [['', gauges.stubs]]);
    metric('capmesh_relay_cluster_messages_sent_total', 'counter', 'Messages sent to other nodes, by kind.', Object.entries(this.sent).map(([k, v]) => [`{kind="${k}"}`, v]));
    metric('capmesh_relay_cluster_messages_received_total', 'counter', 'Messages received from other nodes, by kind.', Object.entries(this.received).map(([k, v]) => [`{kind="${k}"}`, v]));
    metric('capmesh_relay_cluster_bytes_sent_total', 'counter', 'Bytes sent to other nodes.', [['', this.bytesSent]]);
    metric('capmesh_relay_cluster_bytes_received_total', 'counter', 'Bytes received from other nodes.', [['', this.bytesReceived]]);
    metric('capmesh_relay_cluster_dropped_total', 'counter', 'Messages from other nodes dropped (malformed, unknown circuit or peer).', [['', this.dropped]]);
    metric('capmesh_relay_cluster_replaced_total', 'counter', 'Local registrations replaced by a newer one on another node.', [['', this.replacedRemote]]);
    metric('capmesh_relay_cluster_reannounces_total', 'counter', 'Re-announcements of all local registrations after Redis came back.', [['', this.reannounces]]);
    metric('capmesh_relay_cluster_redis_disconnects_total', 'counter', 'Connections to Redis lost.', [['', this.redisDisconnects]]);
    const name = 'capmesh_relay_cluster_route_seconds';
    out.push(`# HELP ${name} Time from a node sending a message to this node receiving it (Redis hop).`, `# TYPE ${name} histogram`);
    BUCKETS.forEach((le, i) => out.push(`${name}_bucket{le="${le}"} ${this.#counts[i]}`));
    out.push(`${name}_bucket{le="+Inf"} ${this.#latencyCount}`, `${name}_sum ${this.#latencySum}`, `${name}_count ${this.#latencyCount}`);
    return `${out.join('\n')}\n`;
  }
}
