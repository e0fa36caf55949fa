import { CapmeshError, far, type EngineVat, type PersistentContext, type Remote, type SyrupValue, type Vat } from '../index.js';
import type { DocFacet, JoinReply, Subscriber } from './protocol.js';

/** The persistent kind of a share's two facets; its data is `{ name, role }`. */
export const YJS_KIND = 'capmesh/yjs';

export type Role = 'editor' | 'viewer';

/** What the registry needs of a live share (host.ts's `Share`). */
export interface ServedShare {
  readonly uris: Readonly<Record<Role, string>>;
  live(): void;
  join(role: Role, sv: unknown, clientID: unknown, subscriber: Remote<Subscriber>): JoinReply;
}

/**
 * The persistent shares of one vat by name, for the kind's maker: after a
 * restart the maker may run (a member fetched a link) before the host called
 * `shareDoc` again, so a facet looks its share up on each call and waits for
 * it until it is served. A facet whose URI is no longer its share's (revoked,
 * shared anew under the same name) answers `NOT_FOUND`.
 */
export class ShareRegistry {
  private readonly served = new Map<string, ServedShare>();
  private readonly reserved = new Set<string>();
  private readonly everServed = new Set<string>();
  private readonly waiters = new Map<string, ((s: ServedShare) => void)[]>();

  /** Claims `name` for a `shareDoc` under way; `INVALID_ARGUMENT` if it is taken. */
  reserve(name: string): void {
    if (this.reserved.has(name)) throw new CapmeshError('INVALID_ARGUMENT', `a document named "${name}" is already shared by this vat`, { detail: { argument: 'name' } });
    this.reserved.add(name);
  }

  release(name: string): void {
    this.reserved.delete(name);
    this.served.delete(name);
  }

  serve(name: string, share: ServedShare): void {
    this.served.set(name, share);
    this.everServed.add(name);
    for (const w of this.waiters.get(name) ?? []) w(share);
    this.waiters.delete(name);
  }

  register(vat: Vat, name: string, role: Role): Promise<string> {
    return vat.registerPersistent<{ name: string; role: Role }>(YJS_KIND, { name, role });
  }

  private lookup(name: string): Promise<ServedShare> {
    const share = this.served.get(name);
    if (share) return Promise.resolve(share);
    if (this.everServed.has(name)) return Promise.reject(new CapmeshError('NOT_FOUND', 'this document is no longer shared'));
    return new Promise((resolve) => {
      const list = this.waiters.get(name) ?? [];
      list.push(resolve);
      this.waiters.set(name, list);
    });
  }

  /** The kind's maker: a facet bound to `(name, role)` and to its own URI. */
  make(data: SyrupValue, uri: Promise<string>): DocFacet {
    const { name, role } = (data ?? {}) as { name?: unknown; role?: unknown };
    if (typeof name !== 'string' || (role !== 'editor' && role !== 'viewer')) throw new CapmeshError('INVALID_ARGUMENT', `a ${YJS_KIND} record needs a name and a role`);
    const current = async (): Promise<ServedShare> => {
      const share = await this.lookup(name);
      if (share.uris[role] !== (await uri)) throw new CapmeshError('NOT_FOUND', 'this document link was revoked');
      share.live();
      return share;
    };
    return far(`yjs ${role}`, {
      describe: async () => {
        await current();
        return { readOnly: role === 'viewer' };
      },
      join: async (sv: Uint8Array, clientID: number | bigint, subscriber: Remote<Subscriber>) => (await current()).join(role, sv, clientID, subscriber),
    }) as unknown as DocFacet;
  }
}

const perVat = new WeakMap<Vat, ShareRegistry>();
const pageRegistry = new ShareRegistry();

/**
 * Defines the kind persistent shares are made of on a Node vat (idempotent).
 * Call it right after `createVat`, on every start, before anything else can
 * reach the vat: a member fetching a link before the kind is defined is refused.
 */
export function defineYjsKinds(vat: EngineVat): void {
  if (perVat.has(vat)) return;
  const registry = new ShareRegistry();
  vat.defineKind(YJS_KIND, (data: SyrupValue, ctx: PersistentContext) => registry.make(data, Promise.resolve(ctx.uri)));
  perVat.set(vat, registry);
}

/**
 * The page kinds persistent shares of a browser vat are made of: pass them
 * among `startBrowserVat`'s `kinds` (`kinds: { ...yjsKinds() }`). One page
 * has one set of share names.
 */
export function yjsKinds(): Record<string, (data: SyrupValue, ctx: { uri(): Promise<string> }) => object> {
  return { [YJS_KIND]: (data, ctx) => pageRegistry.make(data, ctx.uri()) };
}

/** The registry persistent shares of `vat` use (defining the kind on a Node vat). */
export function registryFor(vat: Vat): ShareRegistry {
  if (typeof (vat as Partial<EngineVat>).defineKind === 'function') {
    defineYjsKinds(vat as EngineVat);
    return perVat.get(vat)!;
  }
  return pageRegistry;
}
