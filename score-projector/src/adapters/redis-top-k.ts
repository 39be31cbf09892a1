import { LUA_MEMBER_INDEX, LUA_MEMBER_USER, LUA_NOW_MS, LUA_RANK_POSITION } from '@rankstream/schemas';

/**
 * The scripts of a capped board instance (REDIS_TOP_K): Redis keeps its best K entries and nothing
 * else, and its meta hash says what that set stands for. KEYS = lb, lbu, meta, one slot.
 *
 * The invariant: the sorted set holds every entry of the instance that ranks at or before `bound`
 * (the meta field `score|member`), each at its current value; without a bound it holds every entry.
 * A write keeps it:
 * - an entry whose new value ranks at or before the bound enters (or stays);
 * - one that falls past it leaves, and so does its member index entry;
 * - past K members, the last are trimmed and the K-th becomes the bound.
 * The set can then shrink below K (on `set`/`min` boards entries fall out and nobody past the bound is
 * known to take their place): readers serve the ranks Redis holds and send the rest to PostgreSQL,
 * and the projector refills an instance from PostgreSQL once it holds fewer than K/2 of its players.
 *
 * Meta also holds the instance's player count, per partition as `n<p>` = `offset|players` (the
 * absolute count PostgreSQL returned at that offset, so that replays and late writes cannot move it
 * back) and summed in `sum`; `pos<p>`, the checkpoint of the last batch of partition p written here;
 * and, during a rebuild, `fill` (the rebuild's token) and `fillUntil`, which the rebuild moves on as
 * it works. A fill whose deadline passed (its rebuild died) leaves the set emptied, with the bound
 * `none`: it holds nothing until the projector refills it.
 *
 * A member index entry is the only memory of an entry's version. An entry that left has none, so a
 * late write of an older value of it (a zombie instance after a rebalance, a rebuild's snapshot)
 * would bring it back. Hence two guards:
 * - a live write from a batch older than the last one of its partition written here (`pos`) does
 *   not add absent users; it reports them, and the projector rebuilds Redis;
 * - a rebuild empties and flags every instance (`fill`) before it takes its PostgreSQL snapshot;
 *   while flagged, live writes keep every entry they touch (nothing leaves, so every version is
 *   remembered), and the rebuild's snapshot rows, checked against those versions, can never replace
 *   a newer value. Finishing the fill cuts the set at the snapshot's K-th entry: every entry at or
 *   before it is either in the snapshot's top K or was written live since, so all are known.
 */
const TOP_K_HEAD = `
local lb, lbu, meta = KEYS[1], KEYS[2], KEYS[3]
${LUA_RANK_POSITION}
${LUA_MEMBER_INDEX}
local function split(v)
  local bar = string.find(v, '|', 1, true)
  return string.sub(v, 1, bar - 1), string.sub(v, bar + 1)
end
${LUA_NOW_MS}
${LUA_MEMBER_USER}
local function user_of(member) return member_user(member) end
-- Whether (score, member) ranks at or before the bound (true when there is none; false for 'none').
local function within(bound, score, member)
  if not bound then return true end
  if bound == 'none' then return false end
  local bs, bm = split(bound)
  local a, b = tonumber(score), tonumber(bs)
  if a ~= b then return a < b end
  return bytes_le(member, bm)
end
-- Drops members from rank 'from' (0-based) on, with their member index entries.
local function drop_from(from)
  local gone = redis.call('ZRANGE', lb, from, -1)
  for _, m in ipairs(gone) do redis.call('HDEL', lbu, user_of(m)) end
  if #gone > 0 then redis.call('ZREMRANGEBYRANK', lb, from, -1) end
end
-- Past K members, keeps the K best: the K-th becomes the bound.
local function trim(k)
  if redis.call('ZCARD', lb) <= k then return end
  drop_from(k)
  local last = redis.call('ZRANGE', lb, k - 1, k - 1, 'WITHSCORES')
  redis.call('HSET', meta, 'bound', last[2] .. '|' .. last[1])
end
-- Drops every member ranked past (score, member).
local function cut_after(score, member) drop_from(position_after(lb, score, member)) end
-- ARGV[i] = the number of (partition, offset, players) triples that follow. Returns the next index.
local function set_counts(i)
  local c = tonumber(ARGV[i]); i = i + 1
  for _ = 1, c do
    local p, off, players = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
    local cur = redis.call('HGET', meta, 'n' .. p)
    local cur_off, cur_n = -1, 0
    if cur then
      local o, n = split(cur)
      cur_off, cur_n = tonumber(o), tonumber(n)
    end
    if off > cur_off then
      redis.call('HSET', meta, 'n' .. p, off .. '|' .. players)
      redis.call('HINCRBY', meta, 'sum', players - cur_n)
    end
    i = i + 3
  end
  return i
end
-- The rows (member, version, rank score, details or '') from ARGV[i] on. An absent user is added ('add'), left out
-- ('skip': the write is one a fill's snapshot already covered) or refused and counted ('refuse').
-- An empty rank score is a removal: a held entry leaves as one that fell past the bound does (the
-- same guards keep an older value out), and an absent one stays absent. While a fill is under way
-- the member index keeps a tombstone instead, as it keeps every version then.
-- Returns how many absent users were refused.
local function apply_rows(i, keep_all, absent)
  local bound = (not keep_all) and redis.call('HGET', meta, 'bound') or nil
  local refused = 0
  for j = i, #ARGV, 4 do
    local member, version, rs, details = ARGV[j], tonumber(ARGV[j + 1]), ARGV[j + 2], ARGV[j + 3]
    local user = user_of(member)
    local cur = redis.call('HGET', lbu, user)
    local write = true
    if cur then
      local v, m = index_parts(cur)
      if tonumber(v) >= version then
        write = false
        -- Same value already there; heal a sorted set that lost the member.
        if tonumber(v) == version and rs ~= '' and not redis.call('ZSCORE', lb, m) then redis.call('ZADD', lb, rs, m) end
      elseif m ~= '' then
        redis.call('ZREM', lb, m)
      end
    elseif rs == '' and not keep_all then
      write = false
    elseif absent ~= 'add' then
      write = false
      if absent == 'refuse' then refused = refused + 1 end
    end
    if write and rs == '' then
      if keep_all then redis.call('HSET', lbu, user, version .. '|') else redis.call('HDEL', lbu, user) end
    elseif write then
      if within(bound, rs, member) then
        redis.call('ZADD', lb, rs, member)
        redis.call('HSET', lbu, user, index_value(version, member, details))
      elseif cur then
        redis.call('HDEL', lbu, user)
      end
    end
  end
  return refused
end
-- A fill whose rebuild died left a set whose completeness nobody knows: it is emptied and holds
-- nothing until a refill (readers go to PostgreSQL; the projector sees it shrunk).
local function end_dead_fill()
  local fill = redis.call('HMGET', meta, 'fill', 'fillUntil')
  if not fill[1] then return false end
  if tonumber(fill[2]) > now_ms() then return true end
  redis.call('DEL', lb, lbu)
  redis.call('HSET', meta, 'bound', 'none')
  redis.call('HDEL', meta, 'fill', 'fillUntil')
  return false
end
`;

export const TOP_K_SCRIPTS = {
  /**
   * A live batch's values. ARGV = K, partition, the batch's checkpoint and next offset, counts (see
   * set_counts), rows. A batch the last fill's snapshot covered (its next offset at or before the
   * snapshot's, `snap<p>`: one in flight then, or a zombie's after a rebuild cleared `pos`) adds no
   * absent user: the snapshot had their values or newer.
   * Returns { absent users refused because the batch is older than one already written, entries
   * held, players, 1 while a fill is under way }.
   */
  apply: `${TOP_K_HEAD}
local k, p, start, next_off = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local filling = end_dead_fill()
local pos = tonumber(redis.call('HGET', meta, 'pos' .. p) or '-1')
if start > pos then redis.call('HSET', meta, 'pos' .. p, start) end
local snap = tonumber(redis.call('HGET', meta, 'snap' .. p) or '-1')
local absent = 'add'
if next_off <= snap then absent = 'skip' elseif start < pos then absent = 'refuse' end
local i = set_counts(5)
local refused = apply_rows(i, filling, absent)
if not filling then trim(k) end
return { refused, redis.call('ZCARD', lb), tonumber(redis.call('HGET', meta, 'sum') or '0'), filling and 1 or 0 }
`,
  /**
   * Empties and flags an instance before the rebuild's snapshot: what Redis held may lack committed
   * values (the reason for the rebuild), so only live writes from here on and the snapshot are kept.
   * The counts and `pos` stay (they are versioned). ARGV = token, milliseconds the flag holds,
   * 'keep' or 'take' (what to do with another fill's flag). Returns 0 when it left the instance alone.
   */
  startFill: `${TOP_K_HEAD}
-- A refill ('keep') leaves an instance another fill holds to that fill; a rebuild takes it over.
local fill = redis.call('HMGET', meta, 'fill', 'fillUntil')
if ARGV[3] == 'keep' and fill[1] and fill[1] ~= ARGV[1] and tonumber(fill[2]) > now_ms() then return 0 end
redis.call('DEL', lb, lbu)
redis.call('HDEL', meta, 'bound')
redis.call('HSET', meta, 'fill', ARGV[1], 'fillUntil', now_ms() + tonumber(ARGV[2]))
return 1
`,
  /** Moves a fill's deadline on while its rebuild is still at work. ARGV = token, milliseconds. */
  extendFill: `${TOP_K_HEAD}
if redis.call('HGET', meta, 'fill') ~= ARGV[1] then return 0 end
redis.call('HSET', meta, 'fillUntil', now_ms() + tonumber(ARGV[2]))
return 1
`,
  /** A rebuild's snapshot rows. ARGV = token, counts, rows. Returns 0 when the fill is not (or no longer) its own. */
  fill: `${TOP_K_HEAD}
local fill = redis.call('HMGET', meta, 'fill', 'fillUntil')
if fill[1] ~= ARGV[1] or tonumber(fill[2]) <= now_ms() then return 0 end
apply_rows(set_counts(2), true, 'add')
return 1
`,
  /**
   * Ends a fill. ARGV = token, K, and the snapshot's K-th entry (rank score, member), or two empty
   * strings when the snapshot held fewer than K: then every entry is known; then the number of
   * partitions and the snapshot's (partition, next offset) pairs. Returns 0 when the fill is not (or
   * no longer) its own, else { 1, entries held, players }: live writes during the fill may have left
   * it shrunk, and no later write may come to say so.
   */
  finishFill: `${TOP_K_HEAD}
local fill = redis.call('HMGET', meta, 'fill', 'fillUntil')
if fill[1] ~= ARGV[1] or tonumber(fill[2]) <= now_ms() then return 0 end
if ARGV[3] == '' then
  redis.call('HDEL', meta, 'bound')
else
  cut_after(ARGV[3], ARGV[4])
  redis.call('HSET', meta, 'bound', ARGV[3] .. '|' .. ARGV[4])
end
for j = 6, 5 + 2 * tonumber(ARGV[5]), 2 do
  local cur = tonumber(redis.call('HGET', meta, 'snap' .. ARGV[j]) or '-1')
  if tonumber(ARGV[j + 1]) > cur then redis.call('HSET', meta, 'snap' .. ARGV[j], ARGV[j + 1]) end
end
redis.call('HDEL', meta, 'fill', 'fillUntil')
trim(tonumber(ARGV[2]))
return { 1, redis.call('ZCARD', lb), tonumber(redis.call('HGET', meta, 'sum') or '0') }
`,
} as const;
