-- One rate-limit decision, atomic across the fleet, on Redis's clock: the sliding 60-second window of
-- one-second buckets (field = second, value = requests or tokens); counts the request only if admitted.
-- KEYS: [1] requests window, [2] tokens window. ARGV: rpm ('' = none), tpm ('' = none), tokens, and
-- optionally '1' to only decide (admitted: {0}, nothing counted; the wallet's admission asks this first).
-- Returns {1, retry after s, used, ms until empty} refused for rpm; {2, the same for tokens} refused for
-- tpm (the refused window, for its x-ratelimit-* headers); admitted:
-- {0, 0, requests used, ms until the requests window is empty, tokens used, ms until the tokens window is
-- empty} (the x-ratelimit-* headers; used and ms are 0 for a limit the key does not have).
local time = redis.call('TIME')
local now = tonumber(time[1])
local nowMs = now * 1000 + math.floor(tonumber(time[2]) / 1000)
local function window(key)
  local flat = redis.call('HGETALL', key)
  local buckets, sum, old, newest = {}, 0, {}, -1
  for i = 1, #flat, 2 do
    local second, amount = tonumber(flat[i]), tonumber(flat[i + 1])
    if now - second < 60 then
      buckets[second] = amount
      sum = sum + amount
      if amount > 0 and second > newest then newest = second end
    else
      old[#old + 1] = flat[i]
    end
  end
  if #old > 0 then redis.call('HDEL', key, unpack(old)) end
  return buckets, sum, newest
end
local function retryAfter(buckets, sum, limit, needed)
  for wait = 1, 60 do
    sum = sum - (buckets[now - 60 + wait] or 0)
    if sum + needed <= limit then return wait end
  end
  return 60
end
local function resetMs(newest)
  if newest < 0 then return 0 end
  return math.max(0, (newest + 60) * 1000 - nowMs)
end
local rpm, tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local requestsUsed, requestsNewest, tokensUsed, tokensNewest = 0, -1, 0, -1
if rpm then
  local buckets, sum, newest = window(KEYS[1])
  if sum + 1 > rpm then return {1, retryAfter(buckets, sum, rpm, 1), sum, resetMs(newest)} end
  requestsUsed, requestsNewest = sum + 1, now
end
if tpm then
  local buckets, sum, newest = window(KEYS[2])
  local needed = math.min(tokens, tpm)
  if sum + needed > tpm then return {2, retryAfter(buckets, sum, tpm, needed), sum, resetMs(newest)} end
  tokensUsed = sum + tokens
  tokensNewest = newest
  if tokens > 0 then tokensNewest = now end
end
if ARGV[4] == '1' then return {0} end
if tpm then
  redis.call('HINCRBY', KEYS[2], now, tokens)
  redis.call('EXPIRE', KEYS[2], 61)
end
if rpm then
  redis.call('HINCRBY', KEYS[1], now, 1)
  redis.call('EXPIRE', KEYS[1], 61)
end
return {0, 0, requestsUsed, resetMs(requestsNewest), tokensUsed, resetMs(tokensNewest)}
