-- Credits and spend read from the database, applied only if `spend` did not move since `gen` was read
-- and no replica has a ledger write in flight. KEYS: [1] hash. ARGV: gen read before the database,
-- credits, spend, idle ms, live-key prefix. Returns 1 when applied.
local gen = redis.call('HGET', KEYS[1], 'gen') or '0'
if gen ~= ARGV[1] then return 0 end
local flat = redis.call('HGETALL', KEYS[1])
for j = 1, #flat, 2 do
  if string.sub(flat[j], 1, 2) == 'f:' then
    if redis.call('EXISTS', ARGV[5] .. string.sub(flat[j], 3)) == 1 then return 0 end
    redis.call('HDEL', KEYS[1], flat[j])
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'credits', ARGV[2], 'spend', ARGV[3], 'seeded', now, 'gen', gen)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
