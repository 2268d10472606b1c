-- wrk script: POST /api/v1/messages with a fresh idempotency key per request, and a JSON
-- summary at the end. The client key comes from RELAY_KEY, and RUN_ID keeps idempotency keys
-- unique across runs.
local counter = 0
local thread_id = 0
local threads = {}
local run_id = os.getenv("RUN_ID") or "0"

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"phone_id":"phone_main","channel":"sms","to":"+12025550143","text":"Your code is %d",' ..
    '"source":"bench","idempotency_key":"b-%s-%d-%d"}', counter, run_id, thread_id, counter)
  return wrk.format("POST", "/api/v1/messages", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("RELAY_KEY"),
  }, body)
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    'JSON {"requests":%d,"seconds":%.3f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
