import { describe, expect, it } from 'vitest';
import { choice, integer, parseArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/subcommand.js';

describe('parseArgs', () => {
  const spec = { values: ['port', 'host'], booleans: ['verbose'], markers: ['sym'] };

  it('reads values (both spellings), booleans, positionals and markers in order', () => {
    const p = parseArgs(['a', '--port', '1', '--host=h', '--verbose', '--sym', 'x', 'y', '--', '--port'], spec);
    expect([...p.values]).toEqual([
      ['port', '1'],
      ['host', 'h'],
    ]);
    expect([...p.booleans]).toEqual(['verbose']);
    expect(p.positionals).toEqual([{ value: 'a' }, { value: 'x', marker: 'sym' }, { value: 'y' }, { value: '--port' }]);
  });

  it.each([
    [['--port'], /--port needs a value/],
    [['--nope'], /unknown option --nope/],
    [['--verbose=yes'], /unknown option --verbose=yes/],
    [['--sym'], /--sym must be followed by an argument/],
    [['--sym', '--sym', 'x'], /must be followed by an argument, not --sym/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv, spec)).toThrowError(message);
    expect(() => parseArgs(argv, spec)).toThrowError(UsageError);
  });

  it('choice and integer check their flag, with fallbacks', () => {
    const p = parseArgs(['--port', '80', '--host', 'b'], spec);
    expect(choice(p, 'host', ['a', 'b'], 'a')).toBe('b');
    expect(choice(p, 'missing', ['a', 'b'], 'a')).toBe('a');
    expect(choice(p, 'missing', ['a', 'b'])).toBeUndefined();
    expect(() => choice(p, 'host', ['a'])).toThrowError(/--host must be one of a, got "b"/);
    expect(integer(p, 'port', 0, 100, 5)).toBe(80);
    expect(integer(p, 'missing', 0, 100, 5)).toBe(5);
    expect(() => integer(p, 'port', 0, 10, 5)).toThrowError(/from 0 to 10/);
  });
});
