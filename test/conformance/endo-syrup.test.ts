import { describe } from 'vitest';
import { dialectFor } from '../../src/wire/index.js';
import { defineConformance } from './harness/context.js';
import { allScenarios } from './scenarios.js';

// What Endo speaks and suite 74db78f + 31f0b80 expect: plural GC labels, 3-field
// op:listen, op:deliver … f f, length-prefixed framing.
describe('conformance: endo dialect (suite 74db78f + framing 31f0b80) vs test-peer --dialect endo', () => {
  allScenarios(
    defineConformance({
      name: 'endo',
      peerArgs: ['--dialect', 'endo'],
      dialect: dialectFor('endo'),
      framing: 'syrup',
    }),
  );
});
