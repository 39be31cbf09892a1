import { type DecodedEvent, regionalKey, regionCodeOf, type ScoreEvent } from '@rankstream/schemas';
import type { Candidate } from './batch-plan.js';

/**
 * A player's region (null: none), and the region code their profile last named: a profile moves
 * the player only when its region changes, so that updating a username does not undo a region a
 * score event set. Whichever of the two changed last wins.
 */
export interface PlayerRegion {
  region: string | null;
  profileRegion: string | null;
}

export const NO_REGION: PlayerRegion = { region: null, profileRegion: null };

/** A player's region state after the batch, for player_regions (both null: no row). */
export interface RegionChange extends PlayerRegion {
  userId: string;
}

/** The player's region state after an event, or undefined when the event leaves it as it was. */
export function nextRegion(state: PlayerRegion | undefined, decoded: DecodedEvent): PlayerRegion | undefined {
  const s = state ?? NO_REGION;
  if (decoded.kind === 'profile') {
    const code = regionCodeOf(decoded.event.region);
    return code === s.profileRegion ? undefined : { region: code, profileRegion: code };
  }
  if (decoded.kind === 'score' && decoded.event.region !== null && decoded.event.region !== s.region) {
    return { region: decoded.event.region, profileRegion: s.profileRegion };
  }
  return undefined;
}

/**
 * The regions the batch's players may have, walked ahead of the fold so that their regional totals
 * are loaded with the rest: each score event's region at its position, and the players whose region
 * changes (all their totals are loaded, to be copied to the new region's views). Bans and refusals
 * are the fold's to judge; this may name more than the fold uses, never less.
 */
export function regionsAhead(
  events: readonly Candidate[],
  before: ReadonlyMap<string, PlayerRegion>,
): { regionOf: Map<ScoreEvent, string>; movers: Set<string> } {
  const changed = new Map<string, PlayerRegion>();
  const current = (userId: string) => changed.get(userId) ?? before.get(userId);
  const regionOf = new Map<ScoreEvent, string>();
  const movers = new Set<string>();
  for (const { decoded } of events) {
    if (decoded.kind !== 'profile' && decoded.kind !== 'score') continue;
    const userId = decoded.event.userId;
    const was = current(userId);
    const next = nextRegion(was, decoded);
    if (next !== undefined) {
      if (next.region !== (was?.region ?? null)) movers.add(userId);
      changed.set(userId, next);
    }
    const region = current(userId)?.region ?? null;
    if (decoded.kind === 'score' && region !== null) regionOf.set(decoded.event, region);
  }
  return { regionOf, movers };
}

/** The regional instance keys of an event's global ones. */
export function regionalKeys(keys: readonly string[], region: string): string[] {
  return keys.map((k) => regionalKey(k, region));
}
