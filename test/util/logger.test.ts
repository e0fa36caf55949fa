import { describe, expect, it } from 'vitest';
import { jsonLineLogger, silentLogger, type Logger } from '../../src/util/logger.js';
import * as relay from '../../relay/index.js';
import * as core from '../../src/index.js';

describe('Logger (src/util/logger.ts)', () => {
  it('jsonLineLogger writes one JSON object per line at the minimum level and above', () => {
    const lines: string[] = [];
    const log = jsonLineLogger((line) => lines.push(line), 'warn');
    log.debug('no');
    log.info('no');
    log.warn('careful', { peer: 'abc', count: 2n });
    log.error('broken');
    expect(lines).toHaveLength(2);
    const [warn, error] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warn).toMatchObject({ level: 'warn', msg: 'careful', peer: 'abc', count: '2' });
    expect(typeof warn!.time).toBe('string');
    expect(error).toMatchObject({ level: 'error', msg: 'broken' });
  });

  it('defaults to info', () => {
    const lines: string[] = [];
    const log = jsonLineLogger((line) => lines.push(line));
    log.debug('no');
    log.info('yes');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['yes']);
  });

  it('silentLogger drops everything and cannot be changed', () => {
    expect(() => silentLogger.error('x')).not.toThrow();
    expect(Object.isFrozen(silentLogger)).toBe(true);
  });

  it('the relay server, the vat and the relay client share the one type and values', () => {
    expect(relay.silentLogger).toBe(silentLogger);
    expect(core.silentLogger).toBe(silentLogger);
    expect(relay.jsonLineLogger).toBe(jsonLineLogger);
    const asRelayLog: Parameters<typeof relay.startRelay>[0] = { log: silentLogger satisfies Logger };
    expect(asRelayLog.log).toBe(silentLogger);
  });
});
