import { createVat, E, far, type ERef } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';

interface Greeter {
  greet(name: string): string;
}

// A parameter that receives a reference is typed ERef<Greeter>, not Greeter:
// callers hold a Remote<Greeter> (or a local far object, or a promise for
// either), and `E` reaches its methods whichever it is. Typed `Greeter`, the
// forwarding call below fails to compile (Property 'greet' is missing in type 'Remote<Greeter>').
interface Introducer {
  introduce(greeter: ERef<Greeter>, name: string): Promise<string>;
}

const network = createMemoryNetwork();
const alice = await createVat({ netlayers: [network.netlayer()] });
const bob = await createVat({ netlayers: [network.netlayer()] });

const greeter = far('greeter', { greet: (name: string) => `Hello, ${name}!` });
const greeterUri = await alice.register(greeter);
const introducerUri = await alice.register(
  far('introducer', { introduce: (g: ERef<Greeter>, name: string) => E(g).greet(name) }),
);

// Bob holds a Remote<Greeter> and forwards it in a call.
const remoteGreeter = await bob.enliven<Greeter>(greeterUri);
const introducer = await bob.enliven<Introducer>(introducerUri);
const introduced = await E(introducer).introduce(remoteGreeter, 'Bob');

// Code written against ERef<Greeter> takes local and remote greeters alike.
const greetCarol = (g: ERef<Greeter>): Promise<string> => E(g).greet('Carol');
console.log(introduced, await greetCarol(remoteGreeter), await greetCarol(greeter)); // Hello, Bob! Hello, Carol! Hello, Carol!

await Promise.all([alice.close(), bob.close()]);
export { introduced };
