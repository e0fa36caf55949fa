import type { EventualHandler } from '../vat/index.js';
import type { TargetDesc } from '../wire/index.js';

/**
 * Where an eventual operation on a remote reference goes right now: to a
 * position at the peer while the reference is unresolved, or to what it
 * resolved to (`forward`), or nowhere (`broken`).
 */
export type Route =
  | { readonly kind: 'peer'; readonly to: TargetDesc }
  | { readonly kind: 'forward'; readonly value: unknown }
  | { readonly kind: 'broken'; readonly reason: unknown };

/** The operations a handler needs from its session. */
export interface RemoteOps {
  ask(to: TargetDesc, method: string | undefined, args: readonly unknown[]): Promise<unknown>;
  sendOnly(to: TargetDesc, method: string | undefined, args: readonly unknown[]): void;
  askField(to: TargetDesc, kind: 'get' | 'index' | 'untag', key: string | number): Promise<unknown>;
  /** Local eventual operations on a resolved value (the vat's `E`). */
  forward(value: unknown, op: ForwardOp): Promise<unknown>;
}

export type ForwardOp =
  | { readonly kind: 'call'; readonly method: string | undefined; readonly args: readonly unknown[] }
  | { readonly kind: 'sendOnly'; readonly method: string | undefined; readonly args: readonly unknown[] }
  | { readonly kind: 'get' | 'index' | 'untag'; readonly key: string | number };

/** An `EventualHandler` that consults `route()` on every operation. */
export class RemoteHandler implements EventualHandler {
  constructor(
    private readonly ops: RemoteOps,
    private readonly route: () => Route,
  ) {}

  applyMethod(method: string | undefined, args: readonly unknown[]): Promise<unknown> {
    const r = this.route();
    if (r.kind === 'peer') return this.ops.ask(r.to, method, args);
    if (r.kind === 'forward') return this.ops.forward(r.value, { kind: 'call', method, args });
    return Promise.reject(r.reason);
  }

  sendOnly(method: string | undefined, args: readonly unknown[]): void {
    const r = this.route();
    if (r.kind === 'peer') this.ops.sendOnly(r.to, method, args);
    else if (r.kind === 'forward') void this.ops.forward(r.value, { kind: 'sendOnly', method, args });
  }

  get(field: string): Promise<unknown> {
    return this.field('get', field);
  }

  index(index: number): Promise<unknown> {
    return this.field('index', index);
  }

  untag(tag: string): Promise<unknown> {
    return this.field('untag', tag);
  }

  private field(kind: 'get' | 'index' | 'untag', key: string | number): Promise<unknown> {
    const r = this.route();
    if (r.kind === 'peer') return this.ops.askField(r.to, kind, key);
    if (r.kind === 'forward') return this.ops.forward(r.value, { kind, key });
    return Promise.reject(r.reason);
  }
}
