import { describe } from 'vitest';
import { dialectFor } from '../../src/wire/index.js';
import { defineConformance } from './harness/context.js';
import { allScenarios } from './scenarios.js';

// The Goblins forms (also what branch add-referencing-tests reads): op:deliver-only,
// 3-field op:listen, one op:gc-export / op:gc-answer record per position.
describe('conformance: goblins dialect vs test-peer --dialect goblins --framing none', () => {
  allScenarios(
    defineConformance({
      name: 'goblins',
      peerArgs: ['--dialect', 'goblins', '--framing', 'none'],
      dialect: dialectFor('goblins'),
      framing: 'none',
    }),
  );
});
