import { type DecodedEvent, scoreEventSchema } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import type { Candidate } from './batch-plan.js';
import { nextRegion, regionsAhead } from './player-regions.js';

const profile = (userId: string, region: string | null): DecodedEvent => ({
  kind: 'profile',
  event: { eventId: `p-${userId}`, userId, username: userId, imageUrl: null, region, occurredAt: 1 },
});
const score = (userId: string, region: string | null): DecodedEvent => ({
  kind: 'score',
  event: scoreEventSchema.parse({ eventId: `s-${userId}`, userId, value: 1, occurredAt: 1_800_000_000_000, region }),
});

describe('player regions', () => {
  it("moves a player by a profile only when the profile's region changes, and by any event naming one", () => {
    const eu = nextRegion(undefined, profile('u', ' eu '));
    expect(eu).toEqual({ region: 'EU', profileRegion: 'EU' });
    const asia = nextRegion(eu, score('u', 'ASIA'));
    expect(asia).toEqual({ region: 'ASIA', profileRegion: 'EU' });
    // the same profile region again (a username change) leaves the event's region
    expect(nextRegion(asia, profile('u', 'EU'))).toBeUndefined();
    expect(nextRegion(asia, score('u', null))).toBeUndefined();
    expect(nextRegion(asia, score('u', 'ASIA'))).toBeUndefined();
    // a new profile region wins again; free text is no region
    expect(nextRegion(asia, profile('u', 'us'))).toEqual({ region: 'US', profileRegion: 'US' });
    expect(nextRegion(asia, profile('u', 'North America'))).toEqual({ region: null, profileRegion: null });
  });

  it('names each score event with its region at its position, and every player whose region changes', () => {
    const events: Candidate[] = [score('a', null), profile('a', 'EU'), score('a', null), score('b', 'ASIA')].map(
      (decoded, offset) => ({ offset, timestamp: 0, decoded }),
    );
    const { regionOf, movers } = regionsAhead(events, new Map([['c', { region: 'EU', profileRegion: null }]]));
    expect([...regionOf.values()]).toEqual(['EU', 'ASIA']);
    expect(regionOf.has(events[0]?.decoded.event as never)).toBe(false);
    expect([...movers]).toEqual(['a', 'b']);
  });
});
