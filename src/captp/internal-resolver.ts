/**
 * The one-shot resolver a session exports for each question it asks (and
 * each promise it listens to). It is not a `far` object: the session
 * recognises it when a `fulfill`/`break` arrives and settles the question
 * directly, without the eventual-send machinery a user object needs. It never
 * leaves the session, so no user code can hold one.
 */
export class InternalResolver {
  private settle: ((ok: boolean, value: unknown) => void) | undefined;

  constructor(settle: (ok: boolean, value: unknown) => void) {
    this.settle = settle;
  }

  /** Applies `fulfill v` / `break e`. Returns false for any other message (the caller breaks its answer). Later calls are ignored. */
  deliver(method: string | undefined, args: readonly unknown[]): boolean {
    if ((method !== 'fulfill' && method !== 'break') || args.length !== 1) return false;
    const settle = this.settle;
    this.settle = undefined;
    settle?.(method === 'fulfill', args[0]);
    return true;
  }
}
