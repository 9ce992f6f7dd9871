-- Checks every balance hash of a scope and, unless refused or a dry run, records this replica's reserved
-- and pending totals on each (the wallet's one atomic check-and-reserve; see redis-wallet.ts).
-- KEYS: [1] this replica's lease, [2..] balance hashes. ARGV: replica, lease ms, live-key prefix, idle ms,
-- micros, dry run (1 = only report what is left), then per hash: limit ('' = the hash's credits), this
-- replica's reserved total including `micros`, its pending total.
-- Returns {-1, i} hash i needs seeding; {0, i, left, age} refused at hash i; {1, limited, left, age} ok.
local replica, leaseMs, live, idleMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local micros, dry = tonumber(ARGV[5]), ARGV[6] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS - 1
local refused, refusedLeft, refusedAge = 0, 0, 0
local limited, minLeft, maxAge = 0, 0, 0
for i = 1, n do
  local key, base = KEYS[i + 1], 7 + (i - 1) * 3
  local flat = redis.call('HGETALL', key)
  local credits, spend, seeded, others = 'none', 0, 0, 0
  for j = 1, #flat, 2 do
    local field, value = flat[j], flat[j + 1]
    local kind = string.sub(field, 1, 2)
    if field == 'credits' then credits = value
    elseif field == 'spend' then spend = tonumber(value)
    elseif field == 'seeded' then seeded = tonumber(value)
    elseif kind == 'r:' or kind == 'p:' then
      local owner = string.sub(field, 3)
      if owner ~= replica then
        if redis.call('EXISTS', live .. owner) == 1 then others = others + tonumber(value)
        else redis.call('HDEL', key, field) end
      end
    end
  end
  if seeded == 0 then return {-1, i} end
  local age = now - seeded
  if age > maxAge then maxAge = age end
  local limit = ARGV[base]
  if limit == '' then limit = credits end
  if limit ~= 'none' then
    local left = tonumber(limit) - spend - others - tonumber(ARGV[base + 1]) - tonumber(ARGV[base + 2])
    if refused == 0 and left < 0 then refused, refusedLeft, refusedAge = i, left + micros, age end
    if limited == 0 or left < minLeft then minLeft = left end
    limited = 1
  end
end
if dry then return {1, limited, minLeft, maxAge} end
redis.call('SET', KEYS[1], '1', 'PX', leaseMs)
for i = 1, n do
  local key, base = KEYS[i + 1], 7 + (i - 1) * 3
  local r, p = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  if refused ~= 0 then r = r - micros end
  if r > 0 then redis.call('HSET', key, 'r:' .. replica, r) else redis.call('HDEL', key, 'r:' .. replica) end
  if p > 0 then redis.call('HSET', key, 'p:' .. replica, p) else redis.call('HDEL', key, 'p:' .. replica) end
  redis.call('PEXPIRE', key, idleMs)
end
if refused ~= 0 then return {0, refused, refusedLeft, refusedAge} end
return {1, limited, minLeft, maxAge}
