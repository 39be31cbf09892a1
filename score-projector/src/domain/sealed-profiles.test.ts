import { randomBytes } from 'node:crypto';
import { sealText } from '@rankstream/schemas';
import { describe, expect, it } from 'vitest';
import type { Candidate } from './batch-plan.js';
import { openSealedProfiles, sealedProfileUsers } from './sealed-profiles.js';

const key = randomBytes(32);
const seal = (userId: string, text: string) => sealText(key, userId, text, randomBytes(12));

function profile(offset: number, userId: string, username: string, region: string | null = null): Candidate {
  return {
    offset,
    timestamp: 0,
    decoded: {
      kind: 'profile',
      event: { eventId: `p${offset}`, userId, username, imageUrl: null, region, occurredAt: 1 },
    },
  };
}

describe('sealed profiles', () => {
  it('opens sealed fields with the user key, keeps plain ones, and leaves out what no key opens', () => {
    const events = [
      profile(1, 'plain', 'Bob'),
      profile(2, 'kept', seal('kept', 'Ada'), seal('kept', 'eu')),
      profile(3, 'erased', seal('erased', 'Eve')),
      profile(4, 'moved', seal('kept', 'Mallory')),
    ];
    expect(sealedProfileUsers(events)).toEqual(['kept', 'erased', 'moved']);
    const { events: opened, unreadable } = openSealedProfiles(
      events,
      new Map([
        ['kept', key],
        ['moved', key],
      ]),
    );
    expect(unreadable).toBe(2);
    expect(
      opened.map((c) => (c.decoded.kind === 'profile' ? [c.decoded.event.username, c.decoded.event.region] : [])),
    ).toEqual([
      ['Bob', null],
      ['Ada', 'eu'],
    ]);
    expect(opened[0]).toBe(events[0]);
  });
});
