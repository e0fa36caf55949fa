/**
 * The contract between the local runtime (`src/vat/`) and whatever carries
 * eventual sends elsewhere (the CapTP session in `src/captp/`). The vat layer
 * never imports captp: captp creates remote references through the factories
 * declared here and plugs an `EventualHandler` into each of them.
 */

/** Where an eventual operation goes when its target is not a local object. */
export interface EventualHandler {
  /**
   * Eventual send. `method` is undefined for a plain call of a function-like
   * target. Returns a promise for the result, which should itself be pipelinable
   * (registered with a handler) so `E(E(x).a()).b()` goes out before `a` returns.
   * Must not throw synchronously: failures reject the returned promise.
   */
  applyMethod(method: string | undefined, args: readonly unknown[]): Promise<unknown>;
  /** Fire-and-forget send: no answer is asked for; failures are dropped. */
  sendOnly(method: string | undefined, args: readonly unknown[]): void;
  /** Pipelined field access on an eventual record (OCapN `op:get`). */
  get(field: string): Promise<unknown>;
  /** Pipelined index into an eventual list (OCapN `op:index`). */
  index(index: number): Promise<unknown>;
  /** Pipelined unwrap of an eventual Tagged value (OCapN `op:untag`). */
  untag(tag: string): Promise<unknown>;
}

/**
 * How the local runtime gets its later turns. Deliveries to local objects never
 * run in the caller's turn; they are queued through the scheduler. The default
 * uses the microtask queue; tests can inject a manual one.
 */
export type Scheduler = (turn: () => void) => void;

/** What kind of passable a value is (the Model's "pass style"). */
export type PassStyle =
  | 'undefined'
  | 'null'
  | 'boolean'
  | 'integer'
  | 'float'
  | 'string'
  | 'symbol'
  | 'bytes'
  | 'list'
  | 'struct'
  | 'tagged'
  | 'error'
  | 'remotable'
  | 'promise';
