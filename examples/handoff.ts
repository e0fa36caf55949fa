import { createVat, E, far, type Remote } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';

interface User {
  name(): string;
}
interface Room {
  join(user: User): void;
  members(): User[];
}

const network = createMemoryNetwork();
const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createVat({ netlayers: [network.netlayer()] })));

// Alice hosts a room that remembers who joined.
const members: Remote<User>[] = [];
const roomUri = await alice!.register(
  far('room', { join: (user: Remote<User>) => void members.push(user), members: () => members }),
);

// Bob joins with his own user object; Carol looks at the members.
await E(await bob!.enliven<Room>(roomUri)).join(far('bob', { name: () => 'Bob' }));
const [bobUser] = await E(await carol!.enliven<Room>(roomUri)).members();

// Carol's call goes straight to Bob's vat: Alice handed the reference off.
const name = await E(bobUser!).name();
console.log(name, carol!.sessions().map((s) => s.designator === bob!.designator)); // Bob [ false, true ]

await Promise.all([alice!.close(), bob!.close(), carol!.close()]);
export { name };
