-- wrk script: replays signed Twilio webhook requests from a file prepared by prepare.py
-- (one per line: path <TAB> X-Twilio-Signature <TAB> form body). Each thread takes every
-- n-th line, so no two requests share a CallSid until the file wraps around.
local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  lines = {}
  local nthreads = tonumber(args[2])
  local index = 0
  for line in io.lines(args[1]) do
    if index % nthreads == id - 1 then
      local path, signature, body = line:match("([^\t]+)\t([^\t]+)\t(.*)")
      table.insert(lines, { path = path, signature = signature, body = body })
    end
    index = index + 1
  end
  position = 0
end

function request()
  position = position % #lines + 1
  local entry = lines[position]
  return wrk.format("POST", entry.path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = entry.signature,
    ["X-Forwarded-Proto"] = "https",
  }, entry.body)
end
