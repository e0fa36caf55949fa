import { describe } from 'vitest';
import { dialectFor } from '../../src/wire/index.js';
import { defineConformance } from './harness/context.js';
import { allScenarios } from './scenarios.js';

// The current spec (8704f69) with the 2026 stream framing: op:deliver … f f, 2-field
// op:listen, op:gc-exports/op:gc-answers, every message prefixed `<len>:`.
describe('conformance: current spec, length-prefixed framing, vs test-peer --dialect spec --framing syrup', () => {
  allScenarios(
    defineConformance({
      name: 'spec',
      peerArgs: ['--dialect', 'spec', '--framing', 'syrup'],
      dialect: dialectFor('spec'),
      framing: 'syrup',
    }),
  );
});
