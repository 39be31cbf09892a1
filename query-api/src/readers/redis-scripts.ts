import { LUA_MEMBER_INDEX, LUA_MEMBER_USER, LUA_NOW_MS, LUA_RANK_POSITION, REDIS_LAYOUT } from '@rankstream/schemas';

/**
 * The read scripts. Each names its keys in KEYS, all in one Redis Cluster slot (REDIS_KEY's hash
 * tags), so that it runs on one node and sees one snapshot of what it reads:
 * - the projection's state (flags, version, epoch, watermarks, heartbeats, boards), fetched when
 *   the projector announces a new version and held in memory (projection-state.ts);
 * - one board instance's data (lb, lbu), checked against the epoch marker of its slot, so that a
 *   slot that lost its data (a flush, a master restarted empty) is never read as an empty board;
 * - the profiles of a page's users, checked the same way.
 *
 * Every rank lookup is O(log N): HGET on lbu gives the member, ZRANK/ZSCORE find it, ZRANGE by rank
 * reads a window. Scores travel as strings so that no precision is lost. Replies are plain arrays,
 * not JSON: encoding and parsing them cost both sides more than the data.
 */
/**
 * KEYS = lb, lbu, epoch marker, meta, profiles; ARGV[1] = the epoch the caller read the state at,
 * ARGV[2] = '1' for rows with their details (a fourth element: the JSON text, or false). Replies start { 'ok', players }, or are { 'beyond' } when the answer needs entries a capped instance
 * (REDIS_TOP_K, score-projector/src/adapters/redis-top-k.ts) does not hold: it holds the first
 * 'held' entries of the ranking, and its meta hash counts the players.
 *
 * The scripts that return rows end their reply with the rows' profiles, read in the same call, when
 * the profiles hash is on the same server: on a standalone server, whose one epoch marker (`ready`)
 * covers both. On a cluster it lives in another slot: the caller passes lb again as KEYS[5], gets
 * false, and reads the profiles with rsProfiles.
 */
const BOARD_HEAD = `${LUA_NOW_MS}
${LUA_MEMBER_INDEX}
${LUA_MEMBER_USER}
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return { 'stale' } end
local lb, lbu = KEYS[1], KEYS[2]
local want_details = ARGV[2] == '1'
local profiles_key = KEYS[5] ~= KEYS[1] and KEYS[5] or nil
local function profiles_of(rows)
  if not profiles_key or #rows == 0 then return false end
  local users = {}
  for i, row in ipairs(rows) do users[i] = member_user(row[2]) end
  return redis.call('HMGET', profiles_key, unpack(users))
end
local held = redis.call('ZCARD', lb)
local total = held
local meta = redis.call('HMGET', KEYS[4], 'sum', 'fill', 'fillUntil')
if meta[2] then
  -- A fill past its deadline was abandoned: what the set holds is unknown until it is refilled.
  if tonumber(meta[3]) > now_ms() then return { 'filling' } end
  return { 'beyond' }
end
if meta[1] then total = math.max(held, tonumber(meta[1])) end
local partial = held < total
local function member_of(uid)
  local v = redis.call('HGET', lbu, uid)
  if not v then return nil end
  local _, member = index_parts(v)
  if member == '' then return nil end
  return member
end
-- The entry's details (JSON text), or false.
local function details_of(member)
  local v = redis.call('HGET', lbu, member_user(member))
  if not v then return false end
  local _, _, details = index_parts(v)
  return details or false
end
-- A row: { rank, member, rank score } and, when asked, its details.
local function row_of(rank, member, score)
  if want_details then return { rank, member, score, details_of(member) } end
  return { rank, member, score }
end
local function row_at(rank0, member) return row_of(rank0 + 1, member, redis.call('ZSCORE', lb, member)) end
local function rows(start, stop)
  local flat = redis.call('ZRANGE', lb, start, stop, 'WITHSCORES')
  local out = {}
  for i = 1, #flat, 2 do out[#out + 1] = row_of(start + (i + 1) / 2, flat[i], flat[i + 1]) end
  return out
end
`;

export const SCRIPTS = {
  /**
   * KEYS = ready, rebuilding, version, layout, wm, progress, boards. Reply: { status } when Redis
   * cannot serve, else { 'ok', version, epoch, { watermarks, heartbeats, boards } as flat hashes,
   * layout mark }.
   */
  rsState: {
    keys: 7,
    lua: `
local flags = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
-- A layout mark is the layout, alone or followed by ':' and the projector's settings (layoutMark()).
local layout = flags[4] or ''
if not flags[1] or (layout ~= '${REDIS_LAYOUT}' and string.sub(layout, 1, ${REDIS_LAYOUT.length + 1}) ~= '${REDIS_LAYOUT}:') then
  return { 'not_ready' }
end
if flags[2] then return { 'rebuilding' } end
local state = { redis.call('HGETALL', KEYS[5]), redis.call('HGETALL', KEYS[6]), redis.call('HGETALL', KEYS[7]) }
return { 'ok', flags[3] or false, flags[1], state, layout }
`,
  },
  /** ARGV[3] = 'offset' | 'after', [4] offset, [5] limit, [6] rankScore, [7] member. Reply: ..., rows. */
  rsTop: {
    keys: 5,
    lua: `${BOARD_HEAD}
${LUA_RANK_POSITION}
local limit = tonumber(ARGV[5])
local start
if ARGV[3] == 'offset' then start = tonumber(ARGV[4]) else start = position_after(lb, ARGV[6], ARGV[7]) end
if partial and start + limit > held then return { 'beyond' } end
local r = {}
if limit > 0 and start < total then r = rows(start, start + limit - 1) end
return { 'ok', total, r, profiles_of(r) }
`,
  },
  /** Reply: { 'ok', players }. */
  rsCount: { keys: 5, lua: `${BOARD_HEAD}\nreturn { 'ok', total }\n` },
  /** ARGV[3] = userId. Reply: ..., the row or false. */
  rsUser: {
    keys: 5,
    lua: `${BOARD_HEAD}
local m = member_of(ARGV[3])
local row = false
if m then
  local r = redis.call('ZRANK', lb, m)
  if r then row = row_at(r, m) end
end
if not row and partial then return { 'beyond' } end
return { 'ok', total, row, row and profiles_of({ row }) }
`,
  },
  /** ARGV[3] = userId, [4] radius. Reply: ..., whether the user is ranked (1 or 0), rows. */
  rsAround: {
    keys: 5,
    lua: `${BOARD_HEAD}
local m = member_of(ARGV[3])
local r = m and redis.call('ZRANK', lb, m)
local radius = tonumber(ARGV[4])
if partial and ((not r) or r + radius >= held) then return { 'beyond' } end
if not r then return { 'ok', total, 0, {}, false } end
local window = rows(math.max(0, r - radius), r + radius)
return { 'ok', total, 1, window, profiles_of(window) }
`,
  },
  /** ARGV[3..] = userIds. Reply: ..., rows of the ranked ones. */
  rsRanks: {
    keys: 5,
    lua: `${BOARD_HEAD}
local out = {}
for i = 3, #ARGV do
  local m = member_of(ARGV[i])
  local r = m and redis.call('ZRANK', lb, m)
  if r then out[#out + 1] = row_at(r, m) elseif partial then return { 'beyond' } end
end
return { 'ok', total, out, profiles_of(out) }
`,
  },
  /** KEYS = profiles, epoch marker; ARGV[1] = epoch, [2..] = userIds. Reply: { 'ok', values } (profileValue() or false). */
  rsProfiles: {
    keys: 2,
    lua: `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return { 'stale' } end
return { 'ok', redis.call('HMGET', KEYS[1], unpack(ARGV, 2)) }
`,
  },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** A row as the board scripts send it: [rank, member, rankScore], and its details when asked. */
export type ScriptRow = [rank: number, member: string, rankScore: string, details?: string | null];
