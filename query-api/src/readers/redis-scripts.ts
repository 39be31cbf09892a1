import { REDIS_KEY as K, toRedisMember } from '@rankstream/schemas';

/**
 * Each read is one Lua script, so that it costs one round trip and sees one snapshot: the data,
 * the watermark it corresponds to (for the ETag and consistency tokens) and the ready/rebuilding
 * flags. Keys are built inside the scripts from the prefix, which is fine on a standalone Redis
 * (the product's deployment) but would need hash tags on a cluster.
 *
 * Every rank lookup is O(log N): HGET on lbu gives the member, ZRANK/ZSCORE find it, ZRANGE by rank
 * reads a window. Results travel as cjson text; scores stay strings so that no precision is lost.
 */
const USER_ID_FROM = toRedisMember(0, '').length + 1;

const PRELUDE = `
local P = ARGV[1]
local function unavailable()
  if redis.call('EXISTS', P .. '${K.ready}') == 0 then return 'not_ready' end
  if redis.call('EXISTS', P .. '${K.rebuilding}') == 1 then return 'rebuilding' end
  return nil
end
local function with_state(out)
  out.status = 'ok'
  out.wm = redis.call('HGETALL', P .. '${K.watermarks}')
  out.progress = redis.call('HGETALL', P .. '${K.progress}')
  return cjson.encode(out)
end
local function member_of(lbu, uid)
  local v = redis.call('HGET', lbu, uid)
  if not v then return nil end
  local bar = string.find(v, '|', 1, true)
  if not bar then return nil end
  return string.sub(v, bar + 1)
end
local function uid_of(member) return string.sub(member, ${USER_ID_FROM}) end
local function profile(uid) return redis.call('HMGET', P .. '${K.profile}' .. uid, 'username', 'imageUrl') end
local function row_at(lb, rank0, member)
  local p = profile(uid_of(member))
  return { rank0 + 1, member, redis.call('ZSCORE', lb, member), p[1], p[2] }
end
local function rows(lb, start, stop)
  local flat = redis.call('ZRANGE', lb, start, stop, 'WITHSCORES')
  local out = {}
  for i = 1, #flat, 2 do
    local p = profile(uid_of(flat[i]))
    out[#out + 1] = { start + (i - 1) / 2 + 1, flat[i], flat[i + 1], p[1], p[2] }
  end
  return out
end
local function board_def(board)
  return redis.call('HGET', P .. '${K.boards}', board)
end
`;

/** Shared head of the per-board scripts: ARGV = prefix, board, periodKey, ... */
const BOARD_HEAD = `${PRELUDE}
local st = unavailable()
if st then return cjson.encode({ status = st }) end
local def = board_def(ARGV[2])
if not def then return cjson.encode({ status = 'board_missing' }) end
local lb = P .. '${K.leaderboard}' .. ARGV[2] .. ':' .. ARGV[3]
local lbu = P .. '${K.memberIndex}' .. ARGV[2] .. ':' .. ARGV[3]
local total = redis.call('ZCARD', lb)
`;

export const SCRIPTS = {
  /** ARGV[4] = 'offset' | 'after', [5] offset, [6] limit, [7] rankScore, [8] member. */
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
  local current = redis.call('ZSCORE', lb, m)
  if current and tonumber(current) == tonumber(s) then return redis.call('ZRANK', lb, m) + 1 end
  local lo = redis.call('ZCOUNT', lb, '-inf', '(' .. s)
  local hi = redis.call('ZCOUNT', lb, '-inf', s)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local x = redis.call('ZRANGE', lb, mid, mid)[1]
    if bytes_le(x, m) then lo = mid + 1 else hi = mid end
  end
  return lo
end
local limit = tonumber(ARGV[6])
local start
if ARGV[4] == 'offset' then start = tonumber(ARGV[5]) else start = position_after(ARGV[7], ARGV[8]) end
local r = {}
if start < total then r = rows(lb, start, start + limit - 1) end
return with_state({ def = def, total = total, rows = r })
`,
  /** ARGV[4] = userId. */
  rsUser: `${BOARD_HEAD}
local m = member_of(lbu, ARGV[4])
local row = false
if m then
  local r = redis.call('ZRANK', lb, m)
  if r then row = row_at(lb, r, m) end
end
return with_state({ def = def, total = total, row = row })
`,
  /** ARGV[4] = userId, [5] radius. */
  rsAround: `${BOARD_HEAD}
local m = member_of(lbu, ARGV[4])
local r = m and redis.call('ZRANK', lb, m)
if not r then return with_state({ def = def, total = total, found = false, rows = {} }) end
local radius = tonumber(ARGV[5])
return with_state({ def = def, total = total, found = true, rows = rows(lb, math.max(0, r - radius), r + radius) })
`,
  /** ARGV[4..] = userIds. */
  rsRanks: `${BOARD_HEAD}
local out = {}
for i = 4, #ARGV do
  local m = member_of(lbu, ARGV[i])
  local r = m and redis.call('ZRANK', lb, m)
  if r then out[#out + 1] = row_at(lb, r, m) end
end
return with_state({ def = def, total = total, rows = out })
`,
  /** ARGV = prefix. */
  rsBoards: `${PRELUDE}
local st = unavailable()
if st then return cjson.encode({ status = st }) end
local flat = redis.call('HGETALL', P .. '${K.boards}')
local out = {}
for i = 1, #flat, 2 do
  out[#out + 1] = { flat[i], flat[i + 1], redis.call('ZCARD', P .. '${K.leaderboard}' .. flat[i] .. ':all') }
end
return with_state({ boards = out })
`,
  /** ARGV = prefix, userId, daily key, weekly key, monthly key. */
  rsUserBoards: `${PRELUDE}
local st = unavailable()
if st then return cjson.encode({ status = st }) end
local uid = ARGV[2]
local current = { daily = ARGV[3], weekly = ARGV[4], monthly = ARGV[5] }
local flat = redis.call('HGETALL', P .. '${K.boards}')
local out = {}
for i = 1, #flat, 2 do
  local board = flat[i]
  local ok, def = pcall(cjson.decode, flat[i + 1])
  local keys = { 'all' }
  local order = 'desc'
  if ok and type(def) == 'table' and def.order == 'asc' then order = 'asc' end
  if ok and type(def) == 'table' and type(def.periods) == 'table' then
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
local p = redis.call('HMGET', P .. '${K.profile}' .. uid, 'username', 'imageUrl', 'region')
return with_state({ boards = out, profile = p })
`,
  /** ARGV = prefix. */
  rsState: `${PRELUDE}
local st = unavailable()
if st then return cjson.encode({ status = st }) end
return with_state({})
`,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
