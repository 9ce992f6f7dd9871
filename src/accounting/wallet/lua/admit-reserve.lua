-- Admission in one round trip: the key's rate limits (admit.lua, as `rate`) and the money hold
-- (reserve.lua, as `reserve`) decided together, atomically. The rate limits are asked first without
-- counting: refused, nothing is held. The money is then decided; the request counts against rpm and tpm
-- only once that answer is final (admitted, or refused on numbers fresh enough), so an answer that sends
-- the replica to read the database first (and ask again) counts nothing.
-- KEYS: reserve's, then the requests and tokens windows. ARGV: reserve's, then rpm, tpm, tokens (as
-- admit.lua's), then final ('1': a money refusal is the answer however old its numbers), max seed age ms.
-- Returns {rate, money}: admit.lua's answer ({} when nothing was counted), reserve.lua's ({} when the
-- rate limits refused).
local n, m = #KEYS - 2, #ARGV - 5
local rateKeys = {KEYS[n + 1], KEYS[n + 2]}
local rateArgs = {ARGV[m + 1], ARGV[m + 2], ARGV[m + 3], '1'}
local probe = rate(rateKeys, rateArgs)
if probe[1] ~= 0 then return {probe, {}} end
local money = reserve({unpack(KEYS, 1, n)}, {unpack(ARGV, 1, m)})
local status = money[1]
local final = status == 1 or (status == 0 and (ARGV[m + 4] == '1' or money[4] <= tonumber(ARGV[m + 5])))
if not final then return {{}, money} end
rateArgs[4] = '0'
return {rate(rateKeys, rateArgs), money}
