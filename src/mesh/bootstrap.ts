import { CapmeshError } from '../util/errors.js';
import { base64urlEncode } from '../util/base64url.js';
import { far } from '../vat/index.js';
import type { PeerLocator } from '../wire/index.js';
import type { Logger } from './logger.js';

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
  readonly swissTable: SwissTable;
  readonly logger: Logger;
  readonly peer: () => PeerLocator | undefined;
}

/**
 * The object at export 0 of every session. `fetch` returns the object
 * registered under a swiss number, or breaks with `NOT_FOUND` and a message
 * that reveals nothing about which swiss numbers exist. Gift deposit and
 * withdrawal (third-party handoffs) break with `HANDOFF` until handoff support
 * is configured.
 */
export function makeBootstrap(ctx: BootstrapContext): object {
  return far('bootstrap', {
    fetch(swiss: unknown) {
      if (!(swiss instanceof Uint8Array)) {
        throw new CapmeshError('INVALID_ARGUMENT', 'fetch takes a swiss number as a byte string');
      }
      const obj = ctx.swissTable.get(swiss);
      if (obj === undefined) {
        ctx.logger.debug('fetch of an unknown swiss number', { peer: ctx.peer()?.designator });
        throw new CapmeshError('NOT_FOUND', 'no object is registered under that swiss number');
      }
      return obj;
    },
    'deposit-gift'() {
      throw new CapmeshError('HANDOFF', 'third-party handoffs are not enabled on this vat');
    },
    'withdraw-gift'() {
      throw new CapmeshError('HANDOFF', 'third-party handoffs are not enabled on this vat');
    },
  });
}
