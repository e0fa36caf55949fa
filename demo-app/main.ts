/**
 * The demo app's entry. Until browser vats and the chat demo land, it runs a
 * real two-vat exchange in the page (memory network, the same engine the
 * tabs will use) and says what is still to come.
 */
import { createVat, E, far } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';

const app = document.getElementById('app')!;

async function run(): Promise<string> {
  const network = createMemoryNetwork();
  const alice = await createVat({ netlayers: [network.netlayer()] });
  const bob = await createVat({ netlayers: [network.netlayer()] });
  const uri = await alice.register(far('greeter', { greet: (name: string) => `Hello, ${name}!` }));
  const greeter = await bob.enliven<{ greet(name: string): string }>(uri);
  const text = await E(greeter).greet('tab');
  await Promise.all([alice.close(), bob.close()]);
  return text;
}

app.innerHTML = `
  <h1>capmesh</h1>
  <p>Engine self-check in this tab: <span id="check" class="pending">running…</span></p>
  <p>The chatroom across tabs arrives with browser vats (WebRTC between tabs, vats in workers).
     See the README for what exists today.</p>`;
run().then(
  (text) => {
    const check = document.getElementById('check')!;
    check.textContent = `two vats exchanged a message: “${text}”`;
    check.className = 'ok';
  },
  (error: unknown) => {
    document.getElementById('check')!.textContent = `failed: ${String(error)}`;
  },
);
