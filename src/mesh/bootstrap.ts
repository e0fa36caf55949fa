import { CapmeshError } from '../util/errors.js';
import { base64urlEncode } from '../util/base64url.js';
import { far } from '../vat/index.js';
import type { PeerLocator } from '../wire/index.js';
import type { Logger } from '../util/logger.js';

/**
 * The vat's table of registered objects, keyed by swiss number. Lookups are
 * by exact bytes (base64url text as the map key).
 */
export class SwissTable {
  private readonly objects = new Map<string, object>();

  set(swiss: Uint8Array, obj: object): void {
    this.objects.set(base64urlEncode(swiss), obj);
  }

  get(swiss: Uint8Array): object | undefined {
    return this.objects.get(base64urlEncode(swiss));
  }

  delete(swiss: Uint8Array): boolean {
    return this.objects.delete(base64urlEncode(swiss));
  }

  get size(): number {
    return this.objects.size;
  }
}

export interface BootstrapContext {
  /** Where `fetch` looks first (the vat's table, or a per-transport view over it). */
  readonly swissTable: Pick<SwissTable, 'get'>;
  /** Rebuilds a persistent object that is not live (undefined when there is none). */
  readonly restore?: (swiss: Uint8Array) => Promise<object | undefined>;
  readonly logger: Logger;
  readonly peer: () => PeerLocator | undefined;
  /** Gift deposit and withdrawal (third-party handoffs) on this session. */
  readonly depositGift: (giftId: unknown, value: unknown) => void;
  readonly withdrawGift: (receipt: unknown) => Promise<object>;
}

/**
 * The object at export 0 of every session. `fetch` returns the object
 * registered under a swiss number — a live one at once, else a persistent one
 * rebuilt through `restore` — or breaks with `NOT_FOUND` and a message
 * that reveals nothing about which swiss numbers exist. `deposit-gift` and
 * `withdraw-gift` are the exporter's side of third-party handoffs.
 */
export function makeBootstrap(ctx: BootstrapContext): object {
  return far('bootstrap', {
    fetch(swiss: unknown) {
      if (!(swiss instanceof Uint8Array)) {
        throw new CapmeshError('INVALID_ARGUMENT', 'fetch takes a swiss number as a byte string');
      }
      const obj = ctx.swissTable.get(swiss);
      if (obj !== undefined) return obj;
      const notFound = (): never => {
        ctx.logger.debug('fetch of an unknown swiss number', { peer: ctx.peer()?.designator });
        throw new CapmeshError('NOT_FOUND', 'no object is registered under that swiss number');
      };
      if (!ctx.restore) return notFound();
      return ctx.restore(swiss).then((restored) => restored ?? notFound());
    },
    'deposit-gift'(giftId: unknown, value: unknown) {
      ctx.depositGift(giftId, value);
    },
    'withdraw-gift'(receipt: unknown) {
      return ctx.withdrawGift(receipt);
    },
  });
}
