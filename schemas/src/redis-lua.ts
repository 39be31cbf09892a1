/** Lua shared by the projector's and the query API's scripts: the server's clock in milliseconds. */
export const LUA_NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Where an entry falls in a board instance's sorted set, by the ranking order of ranking.ts (rank
 * score, then member bytes).
 */
export const LUA_RANK_POSITION = `
-- Lua string comparison follows the server's LC_COLLATE; members must compare by bytes, as ZSETs do.
local function bytes_le(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end
-- The number of entries of zset 'key' at or before (score, member), whether or not it is present:
-- the equal-score run is binary-searched by rank, so this stays O(log^2 N) however many ties there are.
local function position_after(key, s, m)
  local now = redis.call('ZSCORE', key, m)
  if now and tonumber(now) == tonumber(s) then return redis.call('ZRANK', key, m) + 1 end
  local lo = redis.call('ZCOUNT', key, '-inf', '(' .. s)
  local hi = redis.call('ZCOUNT', key, '-inf', s)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if bytes_le(redis.call('ZRANGE', key, mid, mid)[1], m) then lo = mid + 1 else hi = mid end
  end
  return lo
end
`;

/**
 * A member index value (REDIS_KEY.memberIndex): `<version>|<member>`, then `|<details>` when the
 * entry has details (JSON text, which may itself hold bars: only the first two separate fields).
 */
export const LUA_MEMBER_INDEX = `
local function index_parts(v)
  local bar = string.find(v, '|', 1, true)
  local rest = string.sub(v, bar + 1)
  local bar2 = string.find(rest, '|', 1, true)
  if not bar2 then return string.sub(v, 1, bar - 1), rest, nil end
  return string.sub(v, 1, bar - 1), string.sub(rest, 1, bar2 - 1), string.sub(rest, bar2 + 1)
end
local function index_value(version, member, details)
  if details == nil or details == '' then return version .. '|' .. member end
  return version .. '|' .. member .. '|' .. details
end
`;

/** A member's userId: what follows its first ':' (ranking.ts: the digits before it hold no ':'). */
export const LUA_MEMBER_USER = `
local function member_user(member) return string.sub(member, string.find(member, ':', 1, true) + 1) end
`;
