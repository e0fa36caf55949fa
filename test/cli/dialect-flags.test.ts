import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { DIALECT_BOOLEAN_FLAGS, DIALECT_VALUE_FLAGS, dialectFromArgs } from '../../src/cli/dialect-flags.js';
import { NETLAYER_FLAGS, netlayerOptionsFromArgs } from '../../src/cli/netlayers.js';
import { UsageError } from '../../src/cli/subcommand.js';
import { dialectFor } from '../../src/wire/index.js';

const parse = (args: string[]) => parseArgs(args, { values: [...DIALECT_VALUE_FLAGS, ...NETLAYER_FLAGS], booleans: DIALECT_BOOLEAN_FLAGS });

describe('CLI dialect flags and netlayer flags', () => {
  it('a preset with knobs on top is the default dialect; sessions learn unless --fixed-dialect', () => {
    expect(dialectFromArgs(parse(['--dialect', 'endo', '--gc-form', 'singular-list']))).toStrictEqual({
      dialect: dialectFor('endo', { gcForm: 'singular-list' }),
      learnDialects: true,
    });
    expect(dialectFromArgs(parse(['--fixed-dialect'])).learnDialects).toBe(false);
  });

  it('framing and websocket auth are netlayer options with their own defaults, whatever the dialect', () => {
    // Before issue 15 the goblins preset implied framing none: now only --framing says so.
    expect(netlayerOptionsFromArgs(parse(['--dialect', 'goblins']))).toStrictEqual({ framing: 'syrup', websocketAuth: 'typed' });
    expect(netlayerOptionsFromArgs(parse(['--framing', 'none', '--websocket-auth', 'legacy']))).toStrictEqual({ framing: 'none', websocketAuth: 'legacy' });
    expect(() => netlayerOptionsFromArgs(parse(['--websocket-auth', 'raw']))).toThrow(UsageError);
  });
});
