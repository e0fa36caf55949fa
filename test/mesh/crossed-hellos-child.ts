// One side of test/mesh/crossed-hellos-processes.test.ts, run as its own process
// (`node --import tsx test/mesh/crossed-hellos-child.ts`). It reads one JSON
// request per line on stdin and writes one JSON answer per line on stdout,
// with the request's `id`:
//   {"id","cmd":"new"}         closes the previous vat, starts a fresh one (new
//                              identity, new port) → {"id","ref","designator"}
//   {"id","cmd":"go","ref"}    enlivens `ref` and calls `ping` → {"id","ok","value"|"error"}
//   {"id","cmd":"report"}      → {"id","sessions":[{designator,sessionId,outbound}],"crossed"}
//                              (`crossed`: connections this vat ended as crossed-hellos losers)
import { createInterface } from 'node:readline';
import { createVat, E, far, type EngineVat } from '../../src/index.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { isCrossedHellos } from '../../src/mesh/handshake.js';
import type { Logger } from '../../src/util/logger.js';

const name = process.argv[2] ?? 'child';
let vat: EngineVat | undefined;
let crossed = 0;

/** Counts this vat's connections that ended as crossed-hellos losers (whichever side aborted them). */
const logger: Logger = {
  debug: () => {},
  info: (message, fields) => {
    if (message === 'session closed' && isCrossedHellos(new Error(String(fields?.['reason'] ?? '')))) crossed++;
  },
  warn: () => {},
  error: () => {},
};

const reply = (answer: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(answer)}\n`);

async function handle(request: { id: number; cmd: string; ref?: string }): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'new': {
      await vat?.close();
      crossed = 0;
      vat = await createVat({ netlayers: [tcpTestingOnlyNetlayer()], trustClaimsOn: ['tcp-testing-only'], logger });
      const ref = await vat.register(far(name, { ping: () => `pong from ${name}` }));
      return { ref, designator: vat.designator };
    }
    case 'go': {
      try {
        const remote = await vat!.enliven<{ ping(): string }>(request.ref!);
        return { ok: true, value: await E(remote).ping() };
      } catch (e) {
        return { ok: false, error: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e) };
      }
    }
    case 'report':
      return { sessions: vat!.sessions().map((s) => ({ designator: s.designator, sessionId: s.sessionId, outbound: s.outbound })), crossed };
    default:
      throw new Error(`unknown command ${request.cmd}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line) as { id: number; cmd: string; ref?: string };
  handle(request).then(
    (answer) => reply({ id: request.id, ...answer }),
    (e: unknown) => reply({ id: request.id, failed: String(e) }),
  );
});
process.stdin.on('end', () => {
  void (vat?.close() ?? Promise.resolve()).then(() => process.exit(0));
});
reply({ id: 0, ready: true });
