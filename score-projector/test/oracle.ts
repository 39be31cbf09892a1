import type { AnyEventInput, RankOrder } from '@rankstream/schemas';

export interface ProducedAt {
  input: AnyEventInput;
  partition: number;
  offset: number;
  /** Kafka's message timestamp (ms), where the test set it. */
  timestamp?: number;
}

export interface ExpectedTotal {
  score: number;
  reachedAt: number;
  eventCount: number;
  version: number;
  /** The metadata of the latest event applied, when it had some. */
  details?: string;
  /** Its tie-break values, on boards with columns. */
  tiebreaks?: number[];
}

export interface ExpectedProfile {
  username: string;
  imageUrl: string | null;
  region: string | null;
  version: number;
}

/** A profile's region as a regional view's name: upper case, trimmed, 1-32 of A-Z 0-9 _ -; else none. */
function regionCode(region: string | null | undefined): string | null {
  const code = region?.trim().toUpperCase() ?? '';
  return /^[A-Z0-9_-]{1,32}$/.test(code) ? code : null;
}

const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * The period keys, written out independently of schemas/src/periods.ts: the local date as Intl
 * prints it (Swedish dates read YYYY-MM-DD), and a week found by stepping back day by day to its
 * first day, then forward to the Monday it holds.
 */
function keysOf(
  occurredAt: number,
  periods: readonly string[],
  calendar: { timeZone: string; weekStartsOn: string } | null | undefined,
): string[] {
  const timeZone = calendar?.timeZone ?? 'UTC';
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const date = local.format(occurredAt);
  const keys = ['all'];
  for (const p of periods) {
    if (p === 'daily') keys.push(`daily:${date}`);
    if (p === 'monthly') keys.push(`monthly:${date.slice(0, 7)}`);
    if (p === 'weekly') {
      let day = Date.parse(`${date}T00:00:00Z`);
      while (WEEKDAY_NAMES[new Date(day).getUTCDay()] !== (calendar?.weekStartsOn ?? 'monday')) day -= 86_400_000;
      while (new Date(day).getUTCDay() !== 1) day += 86_400_000;
      const d = new Date(day);
      const thursday = new Date(
        Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7)),
      );
      const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
      const week = Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1;
      keys.push(`weekly:${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`);
    }
  }
  return keys;
}

/**
 * The expected projection, from the unique events (first eventId of a user in log order) folded in
 * offset order with the simplest code: no batching, no versions compared, nothing shared with the
 * projector. Admin events: a ban drops the user's later score events until an unban; a removal
 * deletes the named totals, and later events start them again; an erasure deletes every total and
 * the profile, and drops every later event of the user. With `windowSeconds`, a repeat counts again once its timestamp is more than that past
 * the last counted one (whole seconds, as DEDUP_WINDOW is).
 */
export function oracle(produced: readonly ProducedAt[], windowSeconds: number | null = null) {
  const inLogOrder = [...produced].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const counted = new Map<string, number>();
  const totals = new Map<string, ExpectedTotal>();
  const profiles = new Map<string, ExpectedProfile>();
  const banned = new Set<string>();
  const erased = new Set<string>();
  /** Per board/user/minute of log time: the events taken under the per-player rate. */
  const perMinute = new Map<string, number>();
  /** Per partition: the newest minute of a rate-limited event; ten minutes behind it nothing is limited. */
  const marks = new Map<number, number>();
  const refused = { rate_limited: 0, max_delta: 0, no_season: 0 };
  /** Each player's region: the latest their profile or a score event named. */
  const regions = new Map<string, string>();
  /** The region code each player's profile last named. */
  const profileRegions = new Map<string, string | null>();
  const copyTo = (globalId: string, region: string, offset: number) => {
    const [board, periodKey, userId] = globalId.split('/');
    const t = totals.get(globalId);
    if (t === undefined) return;
    const copy = { ...t, version: offset };
    if (t.tiebreaks) copy.tiebreaks = [...t.tiebreaks];
    totals.set(`${board}/${periodKey}@${region}/${userId}`, copy);
  };
  const moveTo = (userId: string, region: string | null, offset: number) => {
    const from = regions.get(userId) ?? null;
    if (from === region) return;
    for (const id of [...totals.keys()]) {
      const [, periodKey = '', owner] = id.split('/');
      if (owner !== userId) continue;
      if (from !== null && periodKey.endsWith(`@${from}`)) totals.delete(id);
      if (region !== null && !periodKey.includes('@')) copyTo(id, region, offset);
    }
    if (region === null) regions.delete(userId);
    else regions.set(userId, region);
  };
  /** Where the events refused for falling in no season sit in the log. */
  const noSeason: { partition: number; offset: number }[] = [];
  /** Per partition and board: the seasons and resets its board events made so far. */
  const schedules = new Map<string, { seasons: { id: string; start: number; end: number }[]; resets: number[] }>();
  for (const { input, offset, partition, timestamp = 0 } of inLogOrder) {
    const owner = input.kind === 'board' ? `#${input.event.board}` : input.event.userId;
    const id = `${owner}/${input.event.eventId}`;
    const seconds = Math.floor(timestamp / 1000);
    const last = counted.get(id);
    if (last !== undefined && (windowSeconds === null || seconds - last <= windowSeconds)) continue;
    counted.set(id, seconds);
    if (input.kind === 'profile') {
      const e = input.event;
      if (erased.has(e.userId)) continue;
      // A profile moves the player when its own region changes; an update of anything else does not.
      const code = regionCode(e.region);
      if (code !== (profileRegions.get(e.userId) ?? null)) {
        profileRegions.set(e.userId, code);
        moveTo(e.userId, code, offset);
      }
      profiles.set(e.userId, {
        username: e.username,
        imageUrl: e.imageUrl ?? null,
        region: e.region ?? null,
        version: offset,
      });
      continue;
    }
    if (input.kind === 'board') {
      const b = input.event;
      const key = `${partition}/${b.board}`;
      const schedule = schedules.get(key) ?? { seasons: [], resets: [] };
      schedules.set(key, schedule);
      if (b.action === 'reset') {
        for (const s of schedule.seasons) if (s.start < b.occurredAt && b.occurredAt < s.end) s.end = b.occurredAt;
        if (!schedule.resets.includes(b.occurredAt)) schedule.resets.push(b.occurredAt);
      }
      if (b.seasonId != null && b.startsAt != null && b.endsAt != null) {
        const season = { id: b.seasonId, start: b.startsAt, end: b.endsAt };
        const clash = schedule.seasons.some(
          (s) => s.id === season.id || (s.start < season.end && season.start < s.end),
        );
        if (!clash) schedule.seasons.push(season);
      }
      continue;
    }
    if (input.kind === 'admin') {
      const a = input.event;
      if (a.action === 'ban') banned.add(a.userId);
      if (a.action === 'unban') banned.delete(a.userId);
      if (a.action === 'erase') {
        erased.add(a.userId);
        profiles.delete(a.userId);
        regions.delete(a.userId);
        profileRegions.delete(a.userId);
      }
      for (const id of [...totals.keys()]) {
        const [board, periodKey, userId] = id.split('/');
        if (userId !== a.userId) continue;
        const named =
          a.action === 'remove_entry' &&
          board === a.board &&
          (a.periodKey == null || periodKey === a.periodKey || periodKey?.startsWith(`${a.periodKey}@`));
        if (named || a.action === 'erase') totals.delete(id);
      }
      continue;
    }
    const e = input.event;
    const board = e.board ?? 'global';
    let keys = keysOf(e.occurredAt, e.periods ?? [], e.calendar);
    const schedule = schedules.get(`${partition}/${board}`);
    if (schedule !== undefined) {
      keys = keys.map((k) => {
        if (k === 'all') return k;
        const period = k.slice(0, k.indexOf(':'));
        const inside = schedule.resets.filter((r) => r <= e.occurredAt && keysOf(r, [period], e.calendar)[1] === k);
        return inside.length === 0 ? k : `${k}~${Math.max(...inside)}`;
      });
      if (schedule.seasons.length > 0) {
        const season = schedule.seasons.find((s) => s.start <= e.occurredAt && e.occurredAt < s.end);
        if (season === undefined) {
          refused.no_season++;
          noSeason.push({ partition, offset });
          continue;
        }
        keys.push(`season:${season.id}`);
      }
    }
    if (banned.has(e.userId) || erased.has(e.userId)) continue;
    const op = e.op ?? 'add';
    const limits = e.limits ?? null;
    const minute = Math.floor(timestamp / 60_000);
    let minuteKey: string | undefined;
    const mark = marks.get(partition) ?? Number.NEGATIVE_INFINITY;
    if (limits?.maxEventsPerMinute != null && minute >= mark - 10) {
      marks.set(partition, Math.max(mark, minute));
      minuteKey = `${board}/${e.userId}/${minute}`;
      if ((perMinute.get(minuteKey) ?? 0) >= limits.maxEventsPerMinute) {
        refused.rate_limited++;
        continue;
      }
    }
    if (limits?.maxDelta != null) {
      const before = totals.get(`${board}/all/${e.userId}`)?.score ?? 0;
      const after =
        op === 'add'
          ? before + e.value
          : op === 'set'
            ? e.value
            : op === 'max'
              ? Math.max(before, e.value)
              : Math.min(before, e.value);
      const fresh = !totals.has(`${board}/all/${e.userId}`);
      if (Math.abs((fresh ? e.value : after) - before) > limits.maxDelta) {
        refused.max_delta++;
        continue;
      }
    }
    if (minuteKey !== undefined) perMinute.set(minuteKey, (perMinute.get(minuteKey) ?? 0) + 1);
    if (e.region != null) moveTo(e.userId, e.region, offset);
    for (const key of keys) {
      const id = `${board}/${key}/${e.userId}`;
      const t = totals.get(id);
      const columns = e.tiebreaks ?? [];
      if (!t) {
        totals.set(id, { score: e.value, reachedAt: e.occurredAt, eventCount: 1, version: offset });
        if (e.metadata != null) totals.get(id)!.details = e.metadata;
        if (columns.length > 0) totals.get(id)!.tiebreaks = columns.map((c) => c.value);
        continue;
      }
      const fold = (o: string, a: number, b: number) =>
        o === 'add' ? a + b : o === 'set' ? b : o === 'max' ? Math.max(a, b) : Math.min(a, b);
      const next = fold(op, t.score, e.value);
      const ties = columns.map((c, i) => fold(c.op ?? 'add', t.tiebreaks?.[i] ?? 0, c.value));
      const tiesMoved = ties.some((v, i) => v !== (t.tiebreaks?.[i] ?? 0));
      if (columns.length > 0) t.tiebreaks = ties;
      if (next !== t.score || tiesMoved) {
        t.score = next;
        t.reachedAt = e.occurredAt;
      }
      t.eventCount++;
      t.version = offset;
      if (e.metadata != null) t.details = e.metadata;
      else delete t.details;
    }
    // A regional entry is the global one, listed under the player's region.
    const region = regions.get(e.userId);
    if (region !== undefined) {
      for (const key of keys) copyTo(`${board}/${key}/${e.userId}`, region, offset);
    }
  }
  return { totals, profiles, refused, noSeason };
}

export interface RankedUser {
  userId: string;
  score: number;
  reachedAt: number;
  tiebreaks?: number[];
}

/** Expected leaderboards: for each board/periodKey, its users in rank order. */
export function expectedBoards(
  totals: ReadonlyMap<string, ExpectedTotal>,
  orders: ReadonlyMap<string, RankOrder>,
  compare: (order: RankOrder, tieOrders: readonly RankOrder[]) => (a: RankedUser, b: RankedUser) => number,
  tieOrders: ReadonlyMap<string, readonly RankOrder[]> = new Map(),
): Map<string, RankedUser[]> {
  const boards = new Map<string, RankedUser[]>();
  for (const [id, t] of totals) {
    const [board = '', periodKey = '', userId = ''] = id.split('/');
    const key = `${board}:${periodKey}`;
    const list = boards.get(key) ?? [];
    const columns = tieOrders.get(board)?.length ?? 0;
    const user: RankedUser = { userId, score: t.score, reachedAt: t.reachedAt };
    if (columns > 0) user.tiebreaks = Array.from({ length: columns }, (_, i) => t.tiebreaks?.[i] ?? 0);
    list.push(user);
    boards.set(key, list);
  }
  for (const [key, list] of boards) {
    const board = key.slice(0, key.indexOf(':'));
    list.sort(compare(orders.get(board) ?? 'desc', tieOrders.get(board) ?? []));
  }
  return boards;
}

/** Expected period_counts: the distinct users per board/periodKey. */
export function expectedPeriodCounts(totals: ReadonlyMap<string, ExpectedTotal>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of totals.keys()) {
    const [board, periodKey] = id.split('/');
    const key = `${board}/${periodKey}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
