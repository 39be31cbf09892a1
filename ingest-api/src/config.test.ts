import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect({
      port: c.INGEST_PORT,
      skew: c.maxClockSkewMs,
      body: c.MAX_BODY_BYTES,
      rate: c.RATE_LIMIT_EVENTS_PER_S,
      strict: c.STRICT_BOARDS,
      topic: c.EVENTS_TOPIC,
    }).toEqual({ port: 8080, skew: 300_000, body: 2_097_152, rate: 20_000, strict: false, topic: 'score-events' });
  });

  it('reads the clock skew as MAX_CLOCK_SKEW_MS or as a MAX_CLOCK_SKEW duration', () => {
    expect(loadConfig({ MAX_CLOCK_SKEW: '2m' }).maxClockSkewMs).toBe(120_000);
    expect(loadConfig({ MAX_CLOCK_SKEW: '1500' }).maxClockSkewMs).toBe(1500);
    expect(loadConfig({ MAX_CLOCK_SKEW: '90s', MAX_CLOCK_SKEW_MS: '1000' }).maxClockSkewMs).toBe(1000);
  });

  it('fails listing every problem at once', () => {
    let message = '';
    try {
      loadConfig({ MAX_CLOCK_SKEW: 'soon', RATE_LIMIT_EVENTS_PER_S: '100', STRICT_BOARDS: 'yes' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('MAX_CLOCK_SKEW: must be a whole number of milliseconds');
    expect(message).toContain('RATE_LIMIT_EVENTS_PER_S: must be at least 500');
    expect(message).toContain('STRICT_BOARDS:');
  });
});
