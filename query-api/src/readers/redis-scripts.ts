import { REDIS_KEY as K, REDIS_LAYOUT, toRedisMember } from '@rankstream/schemas';

/**
 * Each read is one Lua script, so that it costs one round trip and sees one snapshot: the data,
 * the ready/rebuilding flags and the state version it corresponds to (with the watermark, for the
 * ETag and consistency tokens, and the board's definition, only when the caller's copy is older).
 * Keys are built inside the scripts from the prefix, which is fine on a standalone Redis (the
 * product's deployment) but would need hash tags on a cluster.
 *
 * Every rank lookup is O(log N): HGET on lbu gives the member, ZRANK/ZSCORE find it, ZRANGE by rank
 * reads a window. Scores travel as strings so that no precision is lost.
 */
const USER_ID_FROM = toRedisMember(0, '').length + 1;

const PRELUDE = `
local P = ARGV[1]
local flags = redis.call('MGET', P .. '${K.ready}', P .. '${K.rebuilding}', P .. '${K.stateVersion}', P .. '${K.layout}')
local function unavailable()
  if not flags[1] or flags[4] ~= '${REDIS_LAYOUT}' then return 'not_ready' end
  if flags[2] then return 'rebuilding' end
  return nil
end
-- The caller's copy of the state (ARGV[2]: its version) is current: the state need not travel. A
-- missing version (a writer that does not keep one) never matches.
local up_to_date = flags[3] and flags[3] == ARGV[2]
-- Every reply is an array that starts { status, version, state }, state false when the caller's
-- copy is current. Plain arrays, not JSON: encoding and parsing them cost both sides more than the data.
local function ok(...)
  local state = false
  if not up_to_date then
    state = { redis.call('HGETALL', P .. '${K.watermarks}'), redis.call('HGETALL', P .. '${K.progress}') }
  end
  return { 'ok', flags[3] or false, state, ... }
end
local function member_of(lbu, uid)
  local v = redis.call('HGET', lbu, uid)
  if not v then return nil end
  local bar = string.find(v, '|', 1, true)
  if not bar then return nil end
  return string.sub(v, bar + 1)
end
local function uid_of(member) return string.sub(member, ${USER_ID_FROM}) end
local profiles = P .. '${K.profiles}'
-- A row: { rank, member, rank score, profile value (profileValue()) or false }.
local function row_at(lb, rank0, member)
  return { rank0 + 1, member, redis.call('ZSCORE', lb, member), redis.call('HGET', profiles, uid_of(member)) }
end
-- A page's profiles are one HMGET.
local function rows(lb, start, stop)
  local flat = redis.call('ZRANGE', lb, start, stop, 'WITHSCORES')
  local out = {}
  if #flat == 0 then return out end
  local uids = {}
  for i = 1, #flat, 2 do uids[#uids + 1] = uid_of(flat[i]) end
  local found = redis.call('HMGET', profiles, unpack(uids))
  for i = 1, #flat, 2 do
    local n = (i + 1) / 2
    out[n] = { start + n, flat[i], flat[i + 1], found[n] }
  end
  return out
end
`;

/**
 * Shared head of the per-board scripts: ARGV = prefix, known version, board, periodKey, whether the
 * caller needs the board's definition ('1': it holds none read at its version), ... Their replies go
 * on { ..., definition or false, players, ... }.
 */
const BOARD_HEAD = `${PRELUDE}
local st = unavailable()
if st then return { st } end
local def = false
if ARGV[5] == '1' or not up_to_date then
  def = redis.call('HGET', P .. '${K.boards}', ARGV[3])
  if not def then return { 'board_missing' } end
end
local lb = P .. '${K.leaderboard}' .. ARGV[3] .. ':' .. ARGV[4]
local lbu = P .. '${K.memberIndex}' .. ARGV[3] .. ':' .. ARGV[4]
local total = redis.call('ZCARD', lb)
`;

export const SCRIPTS = {
  /** ARGV[6] = 'offset' | 'after', [7] offset, [8] limit, [9] rankScore, [10] member. Reply: ..., rows. */
  rsTop: `${BOARD_HEAD}
-- Lua string comparison follows the server's LC_COLLATE; members must compare by bytes, as ZSETs do.
local function bytes_le(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end
-- The number of entries at or before (score, member) in the ranking, whether or not it is present:
-- the equal-score run is binary-searched by rank, so this stays O(log^2 N) however many ties there are.
local function position_after(s, m)
  local now = redis.call('ZSCORE', lb, m)
  if now and tonumber(now) == tonumber(s) then return redis.call('ZRANK', lb, m) + 1 end
  local lo = redis.call('ZCOUNT', lb, '-inf', '(' .. s)
  local hi = redis.call('ZCOUNT', lb, '-inf', s)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local x = redis.call('ZRANGE', lb, mid, mid)[1]
    if bytes_le(x, m) then lo = mid + 1 else hi = mid end
  end
  return lo
end
local limit = tonumber(ARGV[8])
local start
if ARGV[6] == 'offset' then start = tonumber(ARGV[7]) else start = position_after(ARGV[9], ARGV[10]) end
local r = {}
if start < total then r = rows(lb, start, start + limit - 1) end
return ok(def, total, r)
`,
  /** ARGV[6] = userId. Reply: ..., the row or false. */
  rsUser: `${BOARD_HEAD}
local m = member_of(lbu, ARGV[6])
local row = false
if m then
  local r = redis.call('ZRANK', lb, m)
  if r then row = row_at(lb, r, m) end
end
return ok(def, total, row)
`,
  /** ARGV[6] = userId, [7] radius. Reply: ..., whether the user is ranked (1 or 0), rows. */
  rsAround: `${BOARD_HEAD}
local m = member_of(lbu, ARGV[6])
local r = m and redis.call('ZRANK', lb, m)
if not r then return ok(def, total, 0, {}) end
local radius = tonumber(ARGV[7])
return ok(def, total, 1, rows(lb, math.max(0, r - radius), r + radius))
`,
  /** ARGV[6..] = userIds. Reply: ..., rows of the ranked ones. */
  rsRanks: `${BOARD_HEAD}
local out = {}
for i = 6, #ARGV do
  local m = member_of(lbu, ARGV[i])
  local r = m and redis.call('ZRANK', lb, m)
  if r then out[#out + 1] = row_at(lb, r, m) end
end
return ok(def, total, out)
`,
  /** ARGV = prefix, known version. Reply: ..., { board, definition, players of 'all' } per board. */
  rsBoards: `${PRELUDE}
local st = unavailable()
if st then return { st } end
local flat = redis.call('HGETALL', P .. '${K.boards}')
local out = {}
for i = 1, #flat, 2 do
  out[#out + 1] = { flat[i], flat[i + 1], redis.call('ZCARD', P .. '${K.leaderboard}' .. flat[i] .. ':all') }
end
return ok(out)
`,
  /**
   * ARGV = prefix, known version, userId, daily key, weekly key, monthly key. Reply: ..., standings
   * { board, period key, rank, rank score, players, order }, the profile value or false.
   */
  rsUserBoards: `${PRELUDE}
local st = unavailable()
if st then return { st } end
local uid = ARGV[3]
local current = { daily = ARGV[4], weekly = ARGV[5], monthly = ARGV[6] }
local flat = redis.call('HGETALL', P .. '${K.boards}')
local out = {}
for i = 1, #flat, 2 do
  local board = flat[i]
  local parsed, def = pcall(cjson.decode, flat[i + 1])
  local keys = { 'all' }
  local order = 'desc'
  if parsed and type(def) == 'table' and def.order == 'asc' then order = 'asc' end
  if parsed and type(def) == 'table' and type(def.periods) == 'table' then
    for _, p in ipairs(def.periods) do
      if current[p] then keys[#keys + 1] = current[p] end
    end
  end
  for _, k in ipairs(keys) do
    local lb = P .. '${K.leaderboard}' .. board .. ':' .. k
    local m = member_of(P .. '${K.memberIndex}' .. board .. ':' .. k, uid)
    local r = m and redis.call('ZRANK', lb, m)
    if r then out[#out + 1] = { board, k, r + 1, redis.call('ZSCORE', lb, m), redis.call('ZCARD', lb), order } end
  end
end
return ok(out, redis.call('HGET', profiles, uid))
`,
  /** ARGV = prefix, known version ('' for the whole state). */
  rsState: `${PRELUDE}
local st = unavailable()
if st then return { st } end
return ok()
`,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
