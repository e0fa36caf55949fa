import { describe } from 'vitest';
import { dialectFor } from '../../src/wire/index.js';
import { defineConformance } from './harness/context.js';
import { allScenarios } from './scenarios.js';

// Suite main as of early 2026 (6c146dc): raw Syrup stream, op:deliver-only,
// 3-field op:listen, op:gc-export/op:gc-answer with lists.
describe('conformance: suite 6c146dc (main) vs test-peer --dialect suite-2026-02 --framing none', () => {
  allScenarios(
    defineConformance({
      name: 'suite 6c146dc',
      peerArgs: ['--dialect', 'suite-2026-02', '--framing', 'none'],
      dialect: dialectFor('suite-2026-02'),
      framing: 'none',
    }),
  );
});
