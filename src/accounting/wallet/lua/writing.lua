-- The ledger is about to write rows settled here: mark the write in flight on each hash.
-- KEYS: [1] lease, [2..] hashes. ARGV: replica, lease ms, idle ms.
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'f:' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[i], 'gen', 1)
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 0
