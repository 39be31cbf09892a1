import { type AnyEventInput, stampedCalendar } from '@rankstream/schemas';
import { type BoardDefinition, stampTiebreaks } from './board-definition.js';
import type { Profile } from './profile-merge.js';
import { stampedLimits } from './score-requests.js';

/**
 * A profile write as events: the whole merged profile (latest in log order wins), then, for an
 * initial score, a `set` on the board, after the profile so that a reader never sees a ranked user
 * without a name when both land in the same partition (they do: both are keyed by userId).
 */
export function userEvents(input: {
  profile: Profile;
  initialScore?: { value: number; board: BoardDefinition } | undefined;
  now: number;
  newEventId: () => string;
}): AnyEventInput[] {
  const { profile, initialScore, now, newEventId } = input;
  const events: AnyEventInput[] = [
    {
      kind: 'profile',
      event: {
        eventId: newEventId(),
        userId: profile.userId,
        username: profile.username,
        imageUrl: profile.imageUrl,
        region: profile.region,
        occurredAt: now,
      },
    },
  ];
  if (initialScore) {
    events.push({
      kind: 'score',
      event: {
        eventId: newEventId(),
        userId: profile.userId,
        board: initialScore.board.board,
        op: 'set',
        value: initialScore.value,
        occurredAt: now,
        periods: [...initialScore.board.periods],
        source: 'initialScore',
        metadata: null,
        // Under the board's limits like any score event: the projector checks the set's change.
        limits: stampedLimits(initialScore.board),
        calendar: stampedCalendar(initialScore.board),
        // Boards with tie-break columns refuse initialScore (users route): none to stamp.
        tiebreaks: stampTiebreaks(initialScore.board.tiebreaks, []),
      },
    });
  }
  return events;
}
