import fc from 'fast-check';
import { E } from '../../../src/index.js';
import { VAT_NAMES, type Handle, type Target, type World } from './world.js';

/**
 * The steps of a model run. Each picks its handles by index (modulo the vat's
 * live handles, so any generated plan is valid), does its sends in the
 * caller's turn, and tells the model what each send must cause:
 *
 * - `send`: `n` hits on one handle, questions or send-only as `only` says
 *   bit by bit (E-order: in order on that channel, whatever their kind).
 * - `pipe`: `make` on a handle, then `n` hits on the *unanswered* result —
 *   promise pipelining, to any depth, since the result is a new handle and a
 *   later `pipe` may pick it while it is still pending.
 * - `relay`: passes a handle to the object of another handle, which calls it
 *   once and lets go (a third-party handoff when the three vats differ).
 * - `give`: passes a handle to the object of another handle, which keeps it
 *   as a new handle of its own vat (a handoff its new holder uses later).
 * - `drop`: local code lets go of a handle; the import is released when no
 *   other holder in that vat has it.
 * - `tick`: moves the fake clock, delivering what is due (messages with
 *   latency, batched GC messages) between the other steps.
 * - `sync`: waits for quiescence and checks deliveries and tables.
 *
 * Every step starts at a quiet point (see `World.quiet`).
 */
export type Command =
  | { readonly kind: 'send'; readonly from: number; readonly h: number; readonly n: number; readonly only: number }
  | { readonly kind: 'pipe'; readonly from: number; readonly h: number; readonly n: number }
  | { readonly kind: 'relay'; readonly from: number; readonly via: number; readonly target: number }
  | { readonly kind: 'give'; readonly from: number; readonly to: number; readonly target: number }
  | { readonly kind: 'drop'; readonly from: number; readonly h: number }
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'sync' };

const vat = fc.nat(VAT_NAMES.length - 1);
const pick = fc.nat(1_000);

export const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), from: vat, h: pick, n: fc.integer({ min: 1, max: 3 }), only: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pipe' as const), from: vat, h: pick, n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('relay' as const), from: vat, via: pick, target: pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('give' as const), from: vat, to: pick, target: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), from: vat, h: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

/** A run: the network's seed, each vat's one-way latency in ms (0: delivered on a microtask), and up to `maxLength` steps. */
export const scenario = (maxLength: number) =>
  fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    latencies: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
    steps: fc.array(command, { minLength: 1, maxLength, size: 'max' }),
  });

function handleAt(world: World, vat: number, index: number): Handle | undefined {
  const list = world.handles[vat]!;
  return list.length === 0 ? undefined : list[index % list.length];
}

/** Runs one step against the world (and its model). */
export async function run(world: World, step: Command): Promise<void> {
  await world.quiet();
  switch (step.kind) {
    case 'tick':
      await world.tick(step.ms);
      return;
    case 'sync':
      await world.settle();
      world.check();
      return;
    case 'send': {
      const h = handleAt(world, step.from, step.h);
      if (h) for (let i = 0; i < step.n; i++) world.send(h, ((step.only >> i) & 1) === 1);
      return;
    }
    case 'pipe': {
      const h = handleAt(world, step.from, step.h);
      if (!h) return;
      const child = world.newObjectId();
      world.owner.set(child, world.owner.get(h.object)!);
      const answer = E(h.rep as Target).make(child);
      const handle = world.addHandle(step.from, child, answer);
      for (let i = 0; i < step.n; i++) world.send(handle);
      return;
    }
    case 'relay': {
      const via = handleAt(world, step.from, step.via);
      const target = handleAt(world, step.from, step.target);
      if (!via || !target) return;
      const seq = world.seq();
      const channel = `relay ${VAT_NAMES[step.from]}>${via.object}`;
      world.expect(target.object, `${channel}#${seq}`);
      world.track(`relay ${channel} to ${target.object}`, E(via.rep as Target).relay(world.pass(target) as Target, target.object, channel, seq));
      return;
    }
    case 'give': {
      const to = handleAt(world, step.from, step.to);
      const target = handleAt(world, step.from, step.target);
      if (!to || !target) return;
      world.track(`give ${target.object} to ${to.object}`, E(to.rep as Target).keep(world.pass(target) as Target, target.object));
      return;
    }
    case 'drop': {
      const h = handleAt(world, step.from, step.h);
      if (h) world.drop(h);
      return;
    }
  }
}
