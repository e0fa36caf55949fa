import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, memoryStore, type PersistentContext, type Store, type EngineVat } from '../../src/index.js';
import type { BrowserVat, PageKindContext } from '../../src/browser.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';

/**
 * Persisted state declared as an `interface`, as apps write it. TypeScript
 * does not give an interface the implicit index signature a type literal
 * gets, so before `Persistable` every call below failed to compile with
 * `TS2345 … Index signature for type 'string' is missing` (this file is in
 * tsconfig.json, so `npm run typecheck` is the type half of the test).
 */
interface Task {
  title: string;
  done: boolean;
  tags: string[];
  note?: string;
}

interface Board {
  name: string;
  tasks: Task[];
}

interface BoardApi {
  add(title: string): string[];
  titles(): string[];
}

const vats: EngineVat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function vatOn(network: MemoryNetwork, store?: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  vats.push(vat);
  return vat;
}

function defineBoard(vat: EngineVat): void {
  // The maker declares its data's type; `ctx.save` takes the interface as is.
  vat.defineKind('board', (data: Board, ctx: PersistentContext) => {
    const board: Board = { name: data.name, tasks: [...data.tasks] };
    return far('board', {
      add(title: string) {
        board.tasks.push({ title, done: false, tags: [] });
        void ctx.save(board);
        return board.tasks.map((t) => t.title);
      },
      titles: () => board.tasks.map((t) => t.title),
    });
  });
}

describe('state typed as an interface', () => {
  it('is accepted by registerPersistent and ctx.save, and survives a restart', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const host = await vatOn(network, store);
    defineBoard(host);
    const initial: Board = { name: 'sprint', tasks: [{ title: 'first', done: true, tags: ['x'] }] };
    const uri = await host.registerPersistent('board', initial);

    const client = await vatOn(network);
    const board = await client.enliven<BoardApi>(uri);
    expect(await E(board).add('second')).toEqual(['first', 'second']);

    vats.splice(vats.indexOf(host), 1);
    await host.close();
    const again = await vatOn(network, store);
    defineBoard(again);
    const client2 = await vatOn(network);
    const restored = await client2.enliven<BoardApi>(uri);
    expect(await E(restored).titles()).toEqual(['first', 'second']);
  });

  it('still refuses, at compile time, what Syrup cannot hold', () => {
    interface WithMethod {
      title: string;
      render(): string;
    }
    interface WithDate {
      when: Date;
    }
    // Type-level only: the function is never called.
    const compileOnly = (vat: EngineVat, ctx: PersistentContext, page: BrowserVat, pageCtx: PageKindContext, m: WithMethod, d: WithDate): void => {
      // @ts-expect-error a method is not data
      void vat.registerPersistent('k', m);
      // @ts-expect-error nor is a Date
      void ctx.save(d);
      // @ts-expect-error nor a function
      void page.registerPersistent('k', () => 1);
      // @ts-expect-error nor a Map
      void pageCtx.save(new Map<string, string>());
      // Interfaces pass on the browser side too.
      void page.registerPersistent('board', { name: 'b', tasks: [] } as Board);
      void pageCtx.save({ name: 'b', tasks: [] } as Board);
    };
    expect(typeof compileOnly).toBe('function');
  });

  it('is still checked at run time: a value Syrup cannot hold is refused', async () => {
    const vat = await vatOn(createMemoryNetwork(), memoryStore());
    defineBoard(vat);
    const sneaky = { name: 'b', tasks: [], extra: new Date(0) } as unknown as Board;
    await expect(vat.registerPersistent('board', sneaky)).rejects.toMatchObject({ code: 'SYRUP_UNENCODABLE' });
  });
});
