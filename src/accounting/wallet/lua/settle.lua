-- A turn's settles in one round trip: this replica's totals (put.lua, as `put`) and the tpm corrections
-- (adjust.lua, as `adjust`). KEYS: put's, then adjust's. ARGV: put's, then adjust's, then how many of the
-- KEYS are put's.
local n = tonumber(ARGV[#ARGV])
local m = 3 + (n - 1) * 2
put({unpack(KEYS, 1, n)}, {unpack(ARGV, 1, m)})
return adjust({unpack(KEYS, n + 1)}, {unpack(ARGV, m + 1, #ARGV - 1)})
