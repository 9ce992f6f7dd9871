-- Token corrections: KEYS: token windows; ARGV: the change for each, in the same order.
local now = tonumber(redis.call('TIME')[1])
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], now, ARGV[i])
  redis.call('EXPIRE', KEYS[i], 61)
end
return 0
