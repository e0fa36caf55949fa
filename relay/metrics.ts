/**
 * The relay's counters and gauges, rendered in the Prometheus text format
 * (version 0.0.4) for `GET /metrics`.
 */

export const DROP_REASONS = [
  'oversize',
  'rate',
  'slow_consumer',
  'not_member',
  'unknown_peer',
  'max_connections',
  'heartbeat',
  'protocol',
  'register_timeout',
  'bad_registration',
  'signal_too_large',
  'too_many_circuits',
  'unregistered',
  'max_connections_per_ip',
  'upgrade_timeout',
  'circuit_rate',
  'pair_circuits',
  'pending_circuits',
  'pending_timeout',
  'circuit_limit',
  'throttled',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Gauges read at scrape time. */
export interface RelayGauges {
  readonly connections: number;
  readonly sockets: number;
  readonly registered: number;
  readonly circuits: number;
  readonly bufferedBytes: number;
}

export class RelayMetrics {
  readonly startedAt = Date.now();
  connectionsTotal = 0;
  registrations = { ok: 0, refused: 0, replaced: 0, dial_only: 0 };
  frames = { data: 0, signal: 0 };
  bytes = { data: 0, signal: 0 };
  /** Times a sender was throttled (the relay stopped reading from it because a receiver it floods is full). */
  throttles = 0;
  /** Largest unsent backlog seen on any one connection right after a send. */
  peakBufferedBytes = 0;
  readonly drops: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;

  drop(reason: DropReason): void {
    this.drops[reason]++;
  }

  /** The metrics as Prometheus text. */
  render(gauges: RelayGauges): string {
    const out: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: readonly [string, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    metric('capmesh_relay_connections', 'gauge', 'Open WebSocket connections.', [['', gauges.connections]]);
    metric('capmesh_relay_sockets', 'gauge', 'Open TCP connections, upgraded or not.', [['', gauges.sockets]]);
    metric('capmesh_relay_registered_designators', 'gauge', 'Designators currently registered.', [['', gauges.registered]]);
    metric('capmesh_relay_circuits', 'gauge', 'Open circuits.', [['', gauges.circuits]]);
    metric('capmesh_relay_buffered_bytes', 'gauge', 'Bytes queued for sending, all connections.', [['', gauges.bufferedBytes]]);
    metric('capmesh_relay_buffered_bytes_peak', 'gauge', 'Largest per-connection send backlog seen.', [['', this.peakBufferedBytes]]);
    metric('capmesh_relay_connections_total', 'counter', 'WebSocket connections accepted.', [['', this.connectionsTotal]]);
    metric(
      'capmesh_relay_registrations_total',
      'counter',
      'Registration attempts by result.',
      Object.entries(this.registrations).map(([k, v]) => [`{result="${k}"}`, v]),
    );
    metric('capmesh_relay_frames_forwarded_total', 'counter', 'Frames forwarded, by kind.', Object.entries(this.frames).map(([k, v]) => [`{kind="${k}"}`, v]));
    metric('capmesh_relay_bytes_forwarded_total', 'counter', 'Bytes forwarded, by kind.', Object.entries(this.bytes).map(([k, v]) => [`{kind="${k}"}`, v]));
    metric('capmesh_relay_throttles_total', 'counter', 'Times a sender was held back because its receiver was full.', [['', this.throttles]]);
    metric('capmesh_relay_drops_total', 'counter', 'Messages dropped or connections cut, by reason.', Object.entries(this.drops).map(([k, v]) => [`{reason="${k}"}`, v]));
    metric('capmesh_relay_uptime_seconds', 'gauge', 'Seconds since the relay started.', [['', Math.floor((Date.now() - this.startedAt) / 1000)]]);
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [['', process.memoryUsage.rss()]]);
    return `${out.join('\n')}\n`;
  }
}
