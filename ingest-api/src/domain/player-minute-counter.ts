/** One score event as the per-player limits see it. */
export interface PlayerEvent {
  board: string;
  userId: string;
  /** The board's maxEventsPerMinute; null: not limited. */
  perMinute: number | null;
}

export type MinuteDecision =
  | { allowed: true; release(): void }
  | { allowed: false; refused: number[]; retryAfterMs: number };

/**
 * Each player's score events per board in the current minute of wall-clock time, on this instance:
 * the early answer (429) to a player over the board's maxEventsPerMinute. The projector applies the
 * rule itself by the minute of each event's log time, across instances and for events produced
 * straight to Kafka; this count resets with the minute and holds only the players of that minute.
 */
export function createPlayerMinuteCounter() {
  let minute = Number.NaN;
  const counts = new Map<string, number>();
  const keyOf = (e: PlayerEvent) => `${e.board}\u0000${e.userId}`;

  return {
    /** All or nothing: either every event is counted, or none and the refused indexes are named. */
    take(events: readonly PlayerEvent[], now: number): MinuteDecision {
      const current = Math.floor(now / 60_000);
      if (current !== minute) {
        minute = current;
        counts.clear();
      }
      const added = new Map<string, number>();
      const refused: number[] = [];
      for (const [i, e] of events.entries()) {
        if (e.perMinute === null) continue;
        const key = keyOf(e);
        const n = (added.get(key) ?? 0) + 1;
        added.set(key, n);
        if ((counts.get(key) ?? 0) + n > e.perMinute) refused.push(i);
      }
      if (refused.length > 0) return { allowed: false, refused, retryAfterMs: (current + 1) * 60_000 - now };
      for (const [key, n] of added) counts.set(key, (counts.get(key) ?? 0) + n);
      return {
        allowed: true,
        // A request that was not published after all (503) gives its events back.
        release: () => {
          if (minute !== current) return;
          for (const [key, n] of added) counts.set(key, Math.max(0, (counts.get(key) ?? 0) - n));
        },
      };
    },
  };
}

export type PlayerMinuteCounter = ReturnType<typeof createPlayerMinuteCounter>;
