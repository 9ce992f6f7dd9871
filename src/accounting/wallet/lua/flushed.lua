-- The ledger wrote rows settled here (cost > 0), or failed to (cost 0): their cost moves from this
-- replica's pending to spend, atomically, and the in-flight mark is cleared.
-- KEYS: [1] lease, [2] hash. ARGV: replica, lease ms, idle ms, pending after, cost.
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
local p = tonumber(ARGV[4])
if p > 0 then redis.call('HSET', KEYS[2], 'p:' .. ARGV[1], p) else redis.call('HDEL', KEYS[2], 'p:' .. ARGV[1]) end
local f = tonumber(redis.call('HGET', KEYS[2], 'f:' .. ARGV[1]) or '0') - 1
if f > 0 then redis.call('HSET', KEYS[2], 'f:' .. ARGV[1], f) else redis.call('HDEL', KEYS[2], 'f:' .. ARGV[1]) end
redis.call('HINCRBY', KEYS[2], 'spend', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'gen', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
