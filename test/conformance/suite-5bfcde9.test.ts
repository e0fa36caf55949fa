import { describe } from 'vitest';
import { dialectFor } from '../../src/wire/index.js';
import { defineConformance } from './harness/context.js';
import { allScenarios } from './scenarios.js';

// Suite branch remove-op-deliver-only (5bfcde9): raw Syrup stream, fire-and-forget as
// op:deliver … f f, 3-field op:listen, and still the singular GC labels with lists.
describe('conformance: suite 5bfcde9 (remove-op-deliver-only) vs test-peer --dialect endo --gc-form singular-list --framing none', () => {
  allScenarios(
    defineConformance({
      name: 'suite 5bfcde9',
      peerArgs: ['--dialect', 'endo', '--gc-form', 'singular-list', '--framing', 'none'],
      dialect: dialectFor('endo', { gcForm: 'singular-list' }),
      framing: 'none',
    }),
  );
});
