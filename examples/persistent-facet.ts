import { createVat, E, far, isCapmeshError, memoryStore, type PersistentContext, type EngineVat } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';

interface Room {
  post(text: string): void;
  messages(): string[];
  readOnlyUri(): string;
}
interface RoomReader {
  messages(): string[];
}

// A room's state holds its read-only facet's sturdyref, once one was made;
// the facet's state holds the room's, and revives the room when first used.
interface RoomState {
  messages: string[];
  readerUri?: string;
}
interface ReaderState {
  roomUri: string;
}

function defineKinds(vat: EngineVat): void {
  vat.defineKind('room', (data: RoomState, ctx: PersistentContext) => {
    const state: RoomState = { ...data, messages: [...data.messages] };
    let reader: Promise<string> | undefined; // one facet, however many ask at once
    return far('room', {
      async post(text: string) {
        state.messages.push(text);
        await ctx.save(state);
      },
      messages: () => [...state.messages],
      readOnlyUri() {
        reader ??= state.readerUri !== undefined
          ? Promise.resolve(state.readerUri)
          : ctx.registerPersistent<ReaderState>('room-reader', { roomUri: ctx.uri }).then(async (uri) => {
              state.readerUri = uri;
              await ctx.save(state); // made once: after a restart the room hands out the same facet
              return uri;
            });
        return reader;
      },
    });
  });
  vat.defineKind('room-reader', (data: ReaderState, ctx: PersistentContext) =>
    far('room-reader', {
      async messages() {
        // Enlivened on use, not in the maker: NOT_FOUND once the room is revoked.
        const room = await ctx.enliven<Room>(data.roomUri);
        return E(room).messages();
      },
    }),
  );
}

const network = createMemoryNetwork();
const store = memoryStore(); // a fileStore(dir) works the same across processes

async function startServer(): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], store });
  defineKinds(vat);
  return vat;
}

let server = await startServer();
const roomUri = await server.registerPersistent<RoomState>('room', { messages: [] });
const client = await createVat({ netlayers: [network.netlayer()] });
const room = await client.enliven<Room>(roomUri);
await E(room).post('hello');
const readerUri = await E(room).readOnlyUri(); // give this one to readers

await server.close(); // the server stops…
server = await startServer(); // …and starts again: both URIs still work

const reader = await client.enliven<RoomReader>(readerUri);
console.log(await E(reader).messages()); // [ 'hello' ]
await E(await client.enliven<Room>(roomUri)).post('again');
const afterRestart = await E(reader).messages();
console.log(afterRestart); // [ 'hello', 'again' ]
const sameFacet = (await E(await client.enliven<Room>(roomUri)).readOnlyUri()) === readerUri;

await server.revoke(roomUri); // the facet outlives its room only as NOT_FOUND
const revoked = await E(reader).messages().then(() => 'still there', (e: unknown) => (isCapmeshError(e) ? e.code : 'other'));
console.log(sameFacet, revoked); // true NOT_FOUND

await Promise.all([server.close(), client.close()]);
export { afterRestart, sameFacet, revoked };
