// libFuzzer target `sync`: the JSON parser and the sync bodies built on it (Sources/Shared/Log and
// Sources/Shared/Sync): `JSONValue.parse`, `Event(bytes:)`, `Event(json:)`, `PushRequest(json:)`,
// `PullResponse(json:)` and the other messages of docs/PROTOCOL.md.
//
// The input is one request or answer body. It is parsed with the server's body limits, as
// `POST /v1/sync/push` does, and with tiny limits so the depth and size refusals are reachable.
// Beyond not crashing, what parses must keep the documented properties: the canonical encoding
// parses back to an equal value and is a fixed point, and every message re-read from its own
// `json` is the same message.
import Shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = inputBytes(data, size)
    _ = try? JSONValue.parse(bytes, limits: tinyLimits)
    let json: JSONValue
    do {
        json = try JSONValue.parse(bytes, limits: SyncProtocol.bodyLimits)
    } catch {
        _ = error.description
        return 0
    }
    checkCanonicalForm(json)
    checkEvent(json, bytes: bytes)
    checkMessages(json)
    return 0
}

private let tinyLimits = JSONLimits(maxDepth: 3, maxBytes: 96, maxStringBytes: 8)

private func checkCanonicalForm(_ json: JSONValue) {
    let canonical = json.canonicalBytes()
    guard let again = try? JSONValue.parse(canonical, limits: SyncProtocol.bodyLimits) else {
        invariant(false, "canonical bytes do not parse: \(String(decoding: canonical, as: UTF8.self))")
        return
    }
    invariant(again == json, "canonical bytes parse to another value")
    invariant(again.canonicalBytes() == canonical, "canonical encoding is not a fixed point")
    invariant(again.hashValue == json.hashValue, "equal values hash differently")
    _ = json.prettyString()
    _ = json.sha256Hex
}

private func checkEvent(_ json: JSONValue, bytes: [UInt8]) {
    let event = try? Event(json: json)
    let fromBytes = try? Event(bytes: bytes)
    invariant(event == fromBytes, "Event(bytes:) and Event(json:) disagree")
    guard let event else { return }
    invariant((try? Event(json: event.json)) == event, "an event does not survive its own json")
    invariant((try? Event(bytes: event.canonicalBytes)) == event, "an event does not survive its canonical bytes")
}

private func checkMessages(_ json: JSONValue) {
    if let push = try? PushRequest(json: json) {
        let again = try? PushRequest(json: push.json)
        invariant(again != nil, "a push request does not survive its own json")
        invariant(again.map(events) == events(of: push), "a push request's events change through its json")
        invariant(again?.receipts == push.receipts, "a push request's receipts change through its json")
        for item in push.items {
            if case .malformed(let index, _, let reason) = item {
                invariant(index >= 0 && !reason.isEmpty, "malformed item without index or reason")
            }
        }
    }
    if let pull = try? PullResponse(json: json) {
        invariant((try? PullResponse(json: pull.json)) == pull, "a pull answer does not survive its own json")
    }
    if let answer = try? PushResponse(json: json) {
        invariant((try? PushResponse(json: answer.json)) == answer, "a push answer does not survive its own json")
    }
    if let enroll = try? EnrollRequest(json: json) {
        invariant((try? EnrollRequest(json: enroll.json)) == enroll, "an enrol request does not survive its own json")
    }
    if let enrolled = try? EnrollResponse(json: json) {
        invariant((try? EnrollResponse(json: enrolled.json)) == enrolled, "an enrol answer does not survive its own json")
    }
}

private func events(of push: PushRequest) -> [Event] {
    push.items.compactMap { if case .event(let event) = $0 { event } else { nil } }
}
