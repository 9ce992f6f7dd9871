-- The ledger wrote rows settled here (cost > 0), or failed to (cost 0): on each hash their cost moves from
-- this replica's pending to spend, atomically, and the in-flight mark is cleared (one call per write).
-- KEYS: [1] lease, [2..] hashes. ARGV: replica, lease ms, idle ms, then per hash: pending after, cost.
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  local key, p, cost = KEYS[i], tonumber(ARGV[4 + (i - 2) * 2]), ARGV[5 + (i - 2) * 2]
  if p > 0 then redis.call('HSET', key, 'p:' .. ARGV[1], p) else redis.call('HDEL', key, 'p:' .. ARGV[1]) end
  local f = tonumber(redis.call('HGET', key, 'f:' .. ARGV[1]) or '0') - 1
  if f > 0 then redis.call('HSET', key, 'f:' .. ARGV[1], f) else redis.call('HDEL', key, 'f:' .. ARGV[1]) end
  redis.call('HINCRBY', key, 'spend', cost)
  redis.call('HINCRBY', key, 'gen', 1)
  redis.call('PEXPIRE', key, ARGV[3])
end
return 0
