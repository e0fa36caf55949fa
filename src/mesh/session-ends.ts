import type { CapmeshError } from '../util/errors.js';

/**
 * Who waits for the session to a peer to end (keyed by the vat's peer key).
 * The vat calls `ended` when a session it had established closes; each
 * waiter is told once, with the error that closed it.
 */
export class SessionEnds {
  private readonly waiters = new Map<string, ((error: CapmeshError) => void)[]>();

  wait(peerKey: string): Promise<CapmeshError> {
    return new Promise((resolve) => {
      const list = this.waiters.get(peerKey);
      if (list) list.push(resolve);
      else this.waiters.set(peerKey, [resolve]);
    });
  }

  ended(peerKey: string, error: CapmeshError): void {
    const list = this.waiters.get(peerKey);
    if (!list) return;
    this.waiters.delete(peerKey);
    for (const resolve of list) resolve(error);
  }
}
