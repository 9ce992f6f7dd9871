-- Writes this replica's reserved and pending totals (absolute values) and renews its lease.
-- KEYS: [1] lease, [2..] hashes. ARGV: replica, lease ms, idle ms, then per hash: reserved, pending.
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  local r, p = tonumber(ARGV[4 + (i - 2) * 2]), tonumber(ARGV[5 + (i - 2) * 2])
  if r > 0 then redis.call('HSET', KEYS[i], 'r:' .. ARGV[1], r) else redis.call('HDEL', KEYS[i], 'r:' .. ARGV[1]) end
  if p > 0 then redis.call('HSET', KEYS[i], 'p:' .. ARGV[1], p) else redis.call('HDEL', KEYS[i], 'p:' .. ARGV[1]) end
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 0
