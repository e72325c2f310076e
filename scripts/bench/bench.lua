-- wrk script for scripts/bench.sh: one file for every scenario, chosen by
-- environment variables, and a done() that prints one machine-readable line.
--
--   BENCH_MODE    get (default) | post | register | refresh | code
--   BENCH_TOKEN   access token: sent as "Authorization: Bearer" when set
--   BENCH_BODY    body of mode post (a login), or of mode code up to the code
--   BENCH_CONTENT_TYPE  of the body (default application/json; the OAuth
--                 token endpoint takes application/x-www-form-urlencoded)
--   BENCH_RUN_ID  makes register's emails unique across runs
--   BENCH_TOKENS  file of refresh tokens (mode refresh) or of authorization
--                 codes (mode code), one a line
--   BENCH_THREADS wrk's -t, so that each thread takes its share of the tokens
--
-- Mode code: the authorization-code exchange. Codes are single-use and made
-- ahead of the run (benchlib.py codes); each request takes the next one of
-- its thread's share, appended to BENCH_BODY (the requests are formatted in
-- init). A thread that runs out re-sends its last code, which the server
-- refuses: a visible non-2xx.
--
-- Refresh rotates: the presented token is revoked and a new one comes back.
-- So each thread keeps a queue of unused refresh tokens, seeded from the file
-- (at least one per connection), takes one per request and puts back the one
-- each answer carries. A failed refresh loses its token and shows up as a
-- non-2xx count; an empty queue re-sends a used token, which fails visibly.

local mode = os.getenv("BENCH_MODE") or "get"
local token = os.getenv("BENCH_TOKEN")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local counter = 0
local queue, head, tail = {}, 1, 0
local last_token = ""

-- get and post are static: wrk builds the request once, which keeps the
-- load generator's own CPU use (on the same two cores) as low as it goes.
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if mode ~= "get" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
  wrk.body = os.getenv("BENCH_BODY")
end

local code_prefix = os.getenv("BENCH_BODY") or ""

function init(_)
  if mode == "code" then
    -- What a thread with no code at all sends: no code, which the server refuses.
    last_token = wrk.format(nil, nil, nil, code_prefix)
  end
  if mode == "refresh" or mode == "code" then
    local index = 0
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
      if line ~= "" then
        if index % nthreads == id then
          tail = tail + 1
          queue[tail] = line
          if mode == "code" then
            -- The whole request, formatted once here rather than in each
            -- request(): wrk shares the two cores with the server, and the
            -- other token-endpoint runs (the peer's, the baseline's) send a
            -- static request that wrk never rebuilds.
            queue[tail] = wrk.format(nil, nil, nil, code_prefix .. line)
          end
        end
        index = index + 1
      end
    end
  end
end

if mode == "register" then
  local run_id = os.getenv("BENCH_RUN_ID") or "0"
  function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, string.format(
      '{"email":"b%s-%d-%d@bench.example.com","password":"password123","name":"Bench User"}',
      run_id, id, counter))
  end
elseif mode == "refresh" then
  function request()
    if head <= tail then
      last_token = queue[head]
      queue[head] = nil
      head = head + 1
    end
    return wrk.format(nil, nil, nil, '{"refresh_token":"' .. last_token .. '"}')
  end
elseif mode == "code" then
  function request()
    if head <= tail then
      last_token = queue[head]
      queue[head] = nil
      head = head + 1
    end
    return last_token
  end
end

if mode == "refresh" then
  function response(status, _, body)
    if status == 200 then
      local fresh = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
      if fresh then
        tail = tail + 1
        queue[tail] = fresh
      end
    end
  end
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
