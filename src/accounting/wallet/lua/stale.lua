-- Something changed in the database (a top-up, rows replayed): read it again before the next decision.
-- KEYS: balance hashes.
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HSET', KEYS[i], 'seeded', 0) end
end
return 0
