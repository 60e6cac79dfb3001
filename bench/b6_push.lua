-- wrk script of bench/b6-http.sh: each request is an authenticated POST /v1/sync/push of one valid event
-- with a fresh id. wrk ... -s bench/b6_push.lua URL -- TOKEN DEVICE AUTHOR WALL CANDIDATES FIELDS
-- (CANDIDATES and FIELDS comma-separated). The events are grid comments of the candidates of the
-- device's commission, in the canonical wire form (docs/PROTOCOL.md). Each wrk thread writes its own
-- fields and lists its previous write of the field in `prev`, as a laptop does, so a field keeps one head.

local threads = {}
local next_thread = 0

function setup(thread)
    thread:set("thread_number", next_thread)
    next_thread = next_thread + 1
    table.insert(threads, thread)
end

local function split(text)
    local items = {}
    for item in string.gmatch(text, "[^,]+") do table.insert(items, item) end
    return items
end

function init(args)
    token, device, author, wall = args[1], args[2], args[3], args[4]
    candidates, fields = split(args[5]), split(args[6])
    sent = 0
    last = {}
    keys = {}
    local number = 0
    for c = 1, #candidates do
        for f = 1, #fields do
            if number % next_thread_count() == thread_number then
                table.insert(keys, { candidates[c], fields[f] })
            end
            number = number + 1
        end
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. token
end

function next_thread_count()
    return tonumber(os.getenv("B6_THREADS") or "2")
end

function request()
    sent = sent + 1
    local key = keys[(sent - 1) % #keys + 1]
    local id = string.format("b6-%d-%d-%08x", thread_number, sent, math.random(0, 0x7fffffff))
    local slot = key[1] .. "/" .. key[2]
    local prev = last[slot] and ('"' .. last[slot] .. '"') or ""
    last[slot] = id
    local body = '{"events":[{"author":"' .. author .. '","device":"' .. device ..
        '","entity":"grid/ndrc-e4-ccf/2026/' .. key[1] .. '/final","field":"' .. key[2] ..
        '","hlc":{"counter":' .. (sent * 16 + thread_number) .. ',"device":"' .. device .. '","wall":' .. wall ..
        '},"id":"' .. id .. '","prev":[' .. prev .. '],"value":"Saisie ' .. sent ..
        ' : ciblage précis du portefeuille, relances à prévoir."}]}'
    return wrk.format(nil, nil, nil, body)
end
