import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CapmeshError } from '../../src/util/errors.js';
import type { Logger } from '../../src/util/logger.js';
import type { RelayPeer } from '../peer.js';
import type { RelayRouter } from '../router.js';
import { ClusterBridge } from './bridge.js';
import { ClusterMetrics } from './metrics.js';
import { decodeNodeMessage } from './wire.js';

/** `startRelay({ cluster })`: how this relay joins a cluster. */
export interface RelayClusterOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`) of the Redis every node of the cluster uses. */
  readonly redis: string;
  /** This node's id, unique in the cluster. Default: 12 random hex digits (a restarted node is a new node). */
  readonly nodeId?: string;
  /** Prefix of every Redis key and channel, so clusters can share a Redis. Default `capmesh`. */
  readonly prefix?: string;
  /**
   * How often the node renews its lease and checks the others'. A node whose
   * lease (3 × this) ran out is taken as dead: its registrations leave every
   * copy of the directory and circuits through it end (and are learnt again
   * if its lease comes back: it was only slow). Default 2 000 ms.
   */
  readonly heartbeatMs?: number;
  /** Time to reach Redis at start; then `startRelay` rejects with `TIMEOUT`. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

/** What `/healthz` says of the cluster. */
export interface RelayClusterHealth {
  readonly node: string;
  readonly redis: 'connected' | 'disconnected';
  /** Live nodes, this one included. */
  readonly nodes: number;
  /** Designators this node knows of, cluster-wide (its copy of the directory). */
  readonly peersKnown: number;
}

interface Entry {
  readonly node: string;
  readonly seq: number;
}

interface Local {
  readonly peer: RelayPeer;
  /** Set once Redis ordered the registration. */
  seq: number | undefined;
  /** Newest sequence number another node announced for this designator while `seq` was unknown. */
  newerElsewhere: number;
}

// Registers KEYS[1] (directory hash) ARGV[1] designator at ARGV[2] node, with
// sequence ARGV[3] or (empty) one from the Redis clock, unless a newer entry
// is there; publishes the change on ARGV[4]. Returns {1, seq} or {0, entry}.
const REGISTER = `
local seq = ARGV[3]
if seq == '' then
  local t = redis.call('TIME')
  seq = t[1] .. string.format('%06d', tonumber(t[2]))
end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local cs = tonumber(string.match(cur, ' (%d+)$'))
  if cs and cs > tonumber(seq) then return {0, cur} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. seq)
redis.call('PUBLISH', ARGV[4], cjson.encode({t = 'reg', d = ARGV[1], n = ARGV[2], s = seq}))
return {1, seq}
`;

// Removes ARGV[1] if it is still ARGV[2] node's registration number ARGV[3]; publishes on ARGV[4].
const UNREGISTER = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] .. ' ' .. ARGV[3] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[4], cjson.encode({t = 'unreg', d = ARGV[1], n = ARGV[2], s = ARGV[3]}))
end
return 1
`;

function parseEntry(text: string): Entry | undefined {
  const space = text.lastIndexOf(' ');
  const seq = Number(text.slice(space + 1));
  return space > 0 && Number.isSafeInteger(seq) ? { node: text.slice(0, space), seq } : undefined;
}

/**
 * One relay node's membership in a cluster whose shared state is in Redis.
 *
 * - **Directory**: the hash `<prefix>:dir` maps each registered designator to
 *   `<node> <seq>`; `seq` comes from the Redis clock inside a script, so Redis
 *   alone orders registrations: of two registrations of one designator (on
 *   two nodes), the one with the larger `seq` wins and the other node sends
 *   its connection `replaced`. Every change is published on `<prefix>:events`;
 *   each node keeps a copy of the directory in memory (loaded at start,
 *   updated by events), so routing never waits for Redis.
 * - **Expiry**: a registration lives as long as its node's lease
 *   (`<prefix>:node:<id>`, renewed every `heartbeatMs`, expiring after 3 ×).
 *   A node whose lease ran out is dead to the others: its entries leave their
 *   copies and the circuits through it end.
 * - **Routing**: messages for peers on another node are published on that
 *   node's channel `<prefix>:to:<node>` (see `ClusterBridge`). Pub/sub rather
 *   than streams: the traffic is live (a frame for a circuit whose node died
 *   is worthless later), pub/sub adds no storage or trimming, and Redis
 *   delivers the messages of one publishing connection to a subscriber in
 *   publish order — every node publishes on one connection, so frames of a
 *   circuit stay in order. It is at-most-once: when the connection to Redis
 *   drops, every cross-node circuit is ended (its frames may be lost), and
 *   vats open new ones.
 * - **Redis restarted** (its data lost): on reconnecting, the node renews its
 *   lease and re-announces each local registration with its original `seq`
 *   (a newer registration made meanwhile still wins), then merges the
 *   directory back into its copy.
 *
 * Three connections: commands (queued while Redis is away), publishing (not
 * queued: nothing stale is sent after a reconnect) and subscribing.
 */
export class RedisCluster {
  readonly nodeId: string;
  readonly metrics = new ClusterMetrics();
  readonly #prefix: string;
  readonly #heartbeatMs: number;
  readonly #cmd: Redis;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #dir = new Map<string, Entry>();
  readonly #locals = new Map<string, Local>();
  /** Live nodes → their public URLs. */
  readonly #nodes = new Map<string, readonly string[]>();
  readonly #bridge: ClusterBridge;
  /** Nodes whose lease ran out, until it comes back (then their entries are reloaded). */
  readonly #dead = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #up = false;
  #closed = false;

  private constructor(
    options: RelayClusterOptions,
    private readonly router: RelayRouter,
    private readonly ownUrls: readonly string[],
    private readonly publicUrls: Set<string>,
    private readonly log: Logger,
    maxFrameBytes: number,
  ) {
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex');
    this.#prefix = options.prefix ?? 'capmesh';
    this.#heartbeatMs = options.heartbeatMs ?? 2_000;
    const common = { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(50 * 2 ** Math.min(n, 10), 1_000) };
    this.#cmd = new Redis(options.redis, { ...common, connectionName: `capmesh-relay-${this.nodeId}` });
    this.#pub = new Redis(options.redis, { ...common, enableOfflineQueue: false });
    this.#sub = new Redis(options.redis, common);
    this.#bridge = new ClusterBridge(this.nodeId, router, (node, bytes) => this.#publish(node, bytes), this.metrics, log, maxFrameBytes);
  }

  /**
   * Connects to Redis, announces the node, loads the directory and hooks the
   * router. Rejects with `INVALID_ARGUMENT` (bad option) or `TIMEOUT` (Redis
   * not reachable within `connectTimeoutMs`), having closed what it opened.
   */
  static async join(
    options: RelayClusterOptions,
    router: RelayRouter,
    ownUrls: readonly string[],
    publicUrls: Set<string>,
    log: Logger,
    maxFrameBytes: number,
  ): Promise<RedisCluster> {
    if (typeof options?.redis !== 'string' || !/^rediss?:\/\//.test(options.redis)) {
      throw new CapmeshError('INVALID_ARGUMENT', `cluster.redis must be a redis:// or rediss:// URL, got ${JSON.stringify(options?.redis)}`, { detail: { argument: 'cluster.redis' } });
    }
    for (const key of ['heartbeatMs', 'connectTimeoutMs'] as const) {
      const v = options[key];
      if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw new CapmeshError('INVALID_ARGUMENT', `cluster.${key} must be a positive integer`, { detail: { argument: `cluster.${key}` } });
    }
    if (options.nodeId !== undefined && !/^[\w.-]{1,64}$/.test(options.nodeId)) {
      throw new CapmeshError('INVALID_ARGUMENT', 'cluster.nodeId is 1–64 of [A-Za-z0-9_.-]', { detail: { argument: 'cluster.nodeId' } });
    }
    const cluster = new RedisCluster(options, router, ownUrls, publicUrls, log, maxFrameBytes);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        cluster.#start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CapmeshError('TIMEOUT', `Redis at ${options.redis} not reachable within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      await cluster.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return cluster;
  }

  get #dirKey(): string {
    return `${this.#prefix}:dir`;
  }
  get #events(): string {
    return `${this.#prefix}:events`;
  }
  #channel(node: string): string {
    return `${this.#prefix}:to:${node}`;
  }

  async #start(): Promise<void> {
    this.#cmd.defineCommand('capmeshRegister', { numberOfKeys: 1, lua: REGISTER });
    this.#cmd.defineCommand('capmeshUnregister', { numberOfKeys: 1, lua: UNREGISTER });
    const connections = [this.#cmd, this.#pub, this.#sub];
    // Errors are logged, never thrown: ioredis reconnects by itself (the start waits for `ready`, under `connectTimeoutMs`).
    for (const c of connections) c.on('error', (error: Error) => this.log.debug('redis error', { error: error.message }));
    await Promise.all(
      connections.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once('ready', () => resolve());
            c.connect().catch(() => {});
          }),
      ),
    );
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#message(channel.toString(), message));
    await this.#sub.subscribe(this.#events, this.#channel(this.nodeId));
    await this.#heartbeat();
    await this.#loadDirectory();
    this.#up = true;
    this.router.cluster = {
      locate: (designator) => this.#locate(designator),
      registered: (peer) => this.#registered(peer),
      unregistered: (peer) => this.#unregistered(peer),
    };
    // After the first connection, every `ready` is a reconnection.
    this.#cmd.on('ready', () => void this.#reannounce());
    this.#pub.on('close', () => this.#lost());
    this.#pub.on('ready', () => {
      this.#up = true;
    });
    this.#timer = setInterval(() => void this.#heartbeat().catch((error: unknown) => this.log.warn('cluster heartbeat failed', { error: String(error) })), this.#heartbeatMs);
    this.#timer.unref();
    this.log.info('joined relay cluster', { node: this.nodeId, nodes: this.#nodes.size, peersKnown: this.#dir.size });
  }

  health(): RelayClusterHealth {
    return { node: this.nodeId, redis: this.#up ? 'connected' : 'disconnected', nodes: this.#nodes.size, peersKnown: this.#dir.size };
  }

  metricsText(): string {
    return this.metrics.render({ nodes: this.#nodes.size, peersKnown: this.#dir.size, stubs: this.#bridge.stubCount, redisUp: this.#up });
  }

  #publish(node: string, bytes: Buffer): void {
    if (!this.#up) return; // Redis away: the circuit is ended by `#lost`.
    this.#pub.publish(this.#channel(node), bytes).catch(() => {});
  }

  #lost(): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    this.metrics.redisDisconnects++;
    this.log.warn('lost the connection to Redis; ending circuits to other nodes', { node: this.nodeId });
    this.#bridge.dropAll('the relay cluster lost Redis');
  }

  #locate(designator: string): RelayPeer | undefined {
    const entry = this.#dir.get(designator);
    if (entry === undefined || entry.node === this.nodeId || !this.#nodes.has(entry.node)) return undefined;
    return this.#bridge.stub(entry.node, designator);
  }

  #registered(peer: RelayPeer): void {
    const designator = peer.designator!;
    const local: Local = { peer, seq: undefined, newerElsewhere: 0 };
    this.#locals.set(designator, local);
    this.#register(designator, local, '');
  }

  #register(designator: string, local: Local, seq: string): void {
    (this.#cmd as unknown as RegisterCommands)
      .capmeshRegister(this.#dirKey, designator, this.nodeId, seq, this.#events)
      .then(([ok, value]) => {
        if (this.#locals.get(designator) !== local) {
          // Gone before Redis answered: take it out again.
          if (ok === 1) this.#unregister(designator, String(value));
          return;
        }
        if (ok === 1) {
          local.seq = Number(value);
          if (local.newerElsewhere > local.seq) this.#replaceLocal(designator, local);
        } else {
          this.#replaceLocal(designator, local);
        }
      })
      .catch((error: unknown) => this.log.warn('cluster registration failed', { error: String(error) }));
  }

  #unregistered(peer: RelayPeer): void {
    const designator = peer.designator!;
    const local = this.#locals.get(designator);
    if (local?.peer !== peer) return;
    this.#locals.delete(designator);
    if (local.seq !== undefined) this.#unregister(designator, String(local.seq));
  }

  #unregister(designator: string, seq: string): void {
    (this.#cmd as unknown as RegisterCommands).capmeshUnregister(this.#dirKey, designator, this.nodeId, seq, this.#events).catch(() => {});
  }

  #replaceLocal(designator: string, local: Local): void {
    this.#locals.delete(designator);
    this.metrics.replacedRemote++;
    this.router.replace(local.peer, 'another node of the cluster');
  }

  #message(channel: string, message: Buffer): void {
    if (channel === this.#events) {
      this.#event(message.toString('utf8'));
      return;
    }
    try {
      this.#bridge.receive(decodeNodeMessage(message), message.length);
    } catch (error) {
      this.#bridge.malformed(error);
    }
  }

  #event(text: string): void {
    let e: { t?: unknown; d?: unknown; n?: unknown; s?: unknown };
    try {
      e = JSON.parse(text) as typeof e;
    } catch {
      return;
    }
    if (typeof e.d !== 'string' || typeof e.n !== 'string' || typeof e.s !== 'string') return;
    const seq = Number(e.s);
    if (e.t === 'reg') this.#learn(e.d, { node: e.n, seq });
    else if (e.t === 'unreg') {
      const cur = this.#dir.get(e.d);
      if (cur !== undefined && cur.node === e.n && cur.seq === seq) this.#dir.delete(e.d);
      this.#bridge.drop(e.n, e.d, 'the peer left');
    }
  }

  /** `designator` is registered at `entry` (an event or the loaded directory). */
  #learn(designator: string, entry: Entry): void {
    const cur = this.#dir.get(designator);
    if (cur !== undefined && cur.seq > entry.seq) return;
    this.#dir.set(designator, entry);
    if (cur !== undefined && cur.node !== entry.node) this.#bridge.drop(cur.node, designator, 'the peer moved to another node');
    if (entry.node === this.nodeId) return;
    // A node that registered before this one's heartbeat saw it.
    if (!this.#nodes.has(entry.node)) this.#nodes.set(entry.node, []);
    const local = this.#locals.get(designator);
    if (local === undefined) return;
    if (local.seq === undefined) local.newerElsewhere = Math.max(local.newerElsewhere, entry.seq);
    else if (local.seq < entry.seq) this.#replaceLocal(designator, local);
  }

  async #loadDirectory(): Promise<void> {
    const all = await this.#cmd.hgetall(this.#dirKey);
    for (const [designator, text] of Object.entries(all)) {
      const entry = parseEntry(text);
      if (entry !== undefined && entry.node !== this.nodeId && this.#nodes.has(entry.node)) this.#learn(designator, entry);
    }
  }

  /** Renews the lease, publishes the node's URLs, reads the others' and drops nodes whose lease ran out. */
  async #heartbeat(): Promise<void> {
    const ttl = this.#heartbeatMs * 3;
    const nodesKey = `${this.#prefix}:nodes`;
    const [, , all] = (await this.#cmd
      .multi()
      .set(`${this.#prefix}:node:${this.nodeId}`, '1', 'PX', ttl)
      .hset(nodesKey, this.nodeId, JSON.stringify(this.ownUrls))
      .hgetall(nodesKey)
      .exec())!.map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [unknown, unknown, Record<string, string>];
    const ids = Object.keys(all);
    const check = this.#cmd.pipeline();
    for (const id of ids) check.exists(`${this.#prefix}:node:${id}`);
    const alive = ids.length === 0 ? [] : ((await check.exec()) ?? []).map(([error, value]) => (error ? 0 : value));
    const live = new Map<string, readonly string[]>();
    ids.forEach((id, i) => {
      if (alive[i] === 1) {
        let urls: unknown;
        try {
          urls = JSON.parse(all[id]!);
        } catch {
          urls = [];
        }
        live.set(id, Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string') : []);
      } else if (id !== this.nodeId) {
        void this.#cmd.hdel(nodesKey, id).catch(() => {});
      }
    });
    for (const id of this.#nodes.keys()) if (!live.has(id)) this.#nodeDied(id);
    // A node taken for dead whose lease is back (it was only slow): its entries were dropped here, learn them again.
    const revived = [...live.keys()].filter((id) => this.#dead.delete(id)).length > 0;
    this.#nodes.clear();
    for (const [id, urls] of live) this.#nodes.set(id, urls);
    if (revived) await this.#loadDirectory();
    // A registration proof may name any live node's URL: the proof binds the cluster.
    this.publicUrls.clear();
    for (const u of this.ownUrls) this.publicUrls.add(u);
    for (const urls of live.values()) for (const u of urls) this.publicUrls.add(u);
  }

  #nodeDied(node: string): void {
    if (node === this.nodeId) return;
    this.#dead.add(node);
    this.log.warn('a cluster node is gone (lease expired)', { node });
    for (const [designator, entry] of this.#dir) if (entry.node === node) this.#dir.delete(designator);
    this.#bridge.dropNode(node, 'its relay node is gone');
  }

  async #reannounce(): Promise<void> {
    if (this.#closed) return;
    this.metrics.reannounces++;
    this.log.info('reconnected to Redis; re-announcing registrations', { node: this.nodeId, registrations: this.#locals.size });
    try {
      await this.#heartbeat();
      for (const [designator, local] of this.#locals) if (local.seq !== undefined) this.#register(designator, local, String(local.seq));
      await this.#loadDirectory();
    } catch (error) {
      this.log.warn('re-announcing failed', { error: String(error) });
    }
  }

  /** Leaves the cluster: stops the heartbeat, withdraws the lease, closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#up = false;
    clearInterval(this.#timer);
    if (this.router.cluster !== undefined) this.router.cluster = undefined;
    // Withdraw the lease, waiting at most one heartbeat: Redis may be going away at the same time
    // (commands would then wait in the offline queue for ever); the lease expires by itself anyway.
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (this.#cmd.status === 'ready') {
      await Promise.race([
        this.#cmd.multi().del(`${this.#prefix}:node:${this.nodeId}`).hdel(`${this.#prefix}:nodes`, this.nodeId).exec().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#heartbeatMs))),
      ]);
      clearTimeout(timer);
    }
    this.#bridge.dropAll('the relay node is shutting down');
    for (const c of [this.#cmd, this.#pub, this.#sub]) c.disconnect();
  }
}

interface RegisterCommands {
  capmeshRegister(key: string, designator: string, node: string, seq: string, channel: string): Promise<[number, string | number]>;
  capmeshUnregister(key: string, designator: string, node: string, seq: string, channel: string): Promise<number>;
}
