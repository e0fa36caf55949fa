import { createVat, E, far } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';

// What a remote greeter looks like to its callers.
interface Greeter {
  greet(name: string): string;
}

// Two vats on an in-process network (swap in a real netlayer for real use).
const network = createMemoryNetwork();
const alice = await createVat({ netlayers: [network.netlayer()] });
const bob = await createVat({ netlayers: [network.netlayer()] });

// Alice makes a local object and registers it: she gets a sturdyref URI.
const uri = await alice.register(far('greeter', { greet: (name: string) => `Hello, ${name}!` }));

// Bob turns the URI into a live reference and sends it a message.
const greeter = await bob.enliven<Greeter>(uri);
const greeting = await E(greeter).greet('Bob'); // type-checked: greet(name: string)
console.log(greeting); // Hello, Bob!

await Promise.all([alice.close(), bob.close()]);
export { greeting };
