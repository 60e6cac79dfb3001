/// The bodies of the sync endpoints, exactly as docs/PROTOCOL.md describes them. Each has `json` (what is
/// sent) and `init(json:)` (what is accepted: types checked, unknown members refused).

/// `POST /v1/enroll` request.
public struct EnrollRequest: Sendable, Equatable {
    public let code: String
    public let device: String
    /// When set, the server refuses (409 `evaluator_mismatch`, code not consumed) a code issued for
    /// another evaluator: a data dir that already holds this evaluator's work never changes hands.
    public let evaluator: String?

    public init(code: String, device: String, evaluator: String? = nil) {
        self.code = code
        self.device = device
        self.evaluator = evaluator
    }

    public var json: JSONValue {
        ["code": .string(code), "device": .string(device), "evaluator": evaluator.map { .string($0) } ?? .null,
         "protocol": .int(SyncProtocol.version)]
    }

    public init(json: JSONValue) throws(WireError) {
        let o = try WireObject(json, allowed: ["code", "device", "evaluator", "protocol"])
        code = try o.string("code", max: 200)
        device = try o.string("device", max: 128)
        evaluator = try o.optionalString("evaluator", max: 128)
    }
}

/// `POST /v1/enroll` answer.
public struct EnrollResponse: Sendable, Equatable {
    public let device: String
    public let token: String
    public let evaluator: String
    public let academy: String
    public let timezone: String
    public let epoch: String
    public let serverTime: Int64

    public init(device: String, token: String, evaluator: String, academy: String, timezone: String, epoch: String, serverTime: Int64) {
        self.device = device
        self.token = token
        self.evaluator = evaluator
        self.academy = academy
        self.timezone = timezone
        self.epoch = epoch
        self.serverTime = serverTime
    }

    public var json: JSONValue {
        ["device": .string(device), "token": .string(token), "evaluator": .string(evaluator), "academy": .string(academy),
         "timezone": .string(timezone), "epoch": .string(epoch), "server_time": .int(serverTime), "protocol": .int(SyncProtocol.version)]
    }

    public init(json: JSONValue) throws(WireError) {
        let o = try WireObject(json, allowed: ["device", "token", "evaluator", "academy", "timezone", "epoch", "server_time", "protocol"])
        device = try o.string("device")
        token = try o.string("token")
        evaluator = try o.string("evaluator")
        academy = try o.string("academy")
        timezone = try o.string("timezone")
        epoch = try o.string("epoch")
        serverTime = try o.int("server_time")
    }
}

/// `POST /v1/sync/push` request: events in HLC order, and receipts for events of other authors (or
/// earlier accepted ones) re-pushed after a server restore.
public struct PushRequest: Sendable {
    /// One item of the batch: a well-formed event, or the reason it is not one (rejected alone).
    public enum Item: Sendable {
        case event(Event)
        case malformed(index: Int, id: String?, reason: String)
    }

    public let items: [Item]
    public let receipts: [String: String]

    public init(events: [Event], receipts: [String: String] = [:]) {
        items = events.map { .event($0) }
        self.receipts = receipts
    }

    public var json: JSONValue {
        var receiptObject: [String: JSONValue] = [:]
        for (id, receipt) in receipts { receiptObject[id] = .string(receipt) }
        return ["events": .array(items.compactMap { if case .event(let e) = $0 { e.json } else { nil } }),
                "receipts": .object(receiptObject)]
    }

    public init(json: JSONValue) throws(WireError) {
        let o = try WireObject(json, allowed: ["events", "receipts"])
        let events = try o.array("events")
        guard events.count <= SyncProtocol.maxPushEvents else {
            throw WireError("events", "at most \(SyncProtocol.maxPushEvents) events per push")
        }
        var items: [Item] = []
        items.reserveCapacity(events.count)
        for (index, value) in events.enumerated() {
            do {
                items.append(.event(try Event(json: value)))
            } catch {
                items.append(.malformed(index: index, id: value["id"]?.stringValue, reason: error.description))
            }
        }
        var receipts: [String: String] = [:]
        if let value = o.members["receipts"] {
            guard case .object(let object) = value else { throw WireError("receipts", "an object id → receipt is required") }
            for (id, receipt) in object {
                guard let text = receipt.stringValue, text.utf8.count == 64 else { throw WireError("receipts.\(id)", "a receipt is 64 hex digits") }
                receipts[id] = text
            }
        }
        self.items = items
        self.receipts = receipts
    }
}

/// An accepted (or already known) event: its server sequence number and receipt.
public struct PushAck: Sendable, Equatable {
    public let id: String
    public let seq: Int64
    public let receipt: String

    public init(id: String, seq: Int64, receipt: String) {
        self.id = id
        self.seq = seq
        self.receipt = receipt
    }

    var json: JSONValue { ["id": .string(id), "seq": .int(seq), "receipt": .string(receipt)] }

    init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path, allowed: ["id", "seq", "receipt"])
        id = try o.string("id")
        seq = try o.int("seq")
        receipt = try o.string("receipt")
    }
}

/// A refused event: a machine code, a French reason, and for a clock-skew refusal the measured offset
/// (event time minus server time, in milliseconds). `quarantined` events are kept on the server for
/// the coordinators, not applied.
public struct PushRejection: Sendable, Equatable {
    public let id: String
    public let code: String
    public let message: String
    public let offsetMilliseconds: Int64?
    public let quarantined: Bool

    public init(id: String, code: String, message: String, offsetMilliseconds: Int64? = nil, quarantined: Bool = false) {
        self.id = id
        self.code = code
        self.message = message
        self.offsetMilliseconds = offsetMilliseconds
        self.quarantined = quarantined
    }

    var json: JSONValue {
        ["id": .string(id), "code": .string(code), "message": .string(message),
         "offset_ms": offsetMilliseconds.map { .int($0) } ?? .null, "quarantined": .bool(quarantined)]
    }

    init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path, allowed: ["id", "code", "message", "offset_ms", "quarantined"])
        id = try o.string("id")
        code = try o.string("code")
        message = try o.string("message", max: 4096)
        offsetMilliseconds = try o.optionalInt("offset_ms")
        quarantined = try o.bool("quarantined")
    }
}

/// `POST /v1/sync/push` answer.
public struct PushResponse: Sendable, Equatable {
    public let accepted: [PushAck]
    public let duplicates: [PushAck]
    public let rejected: [PushRejection]
    public let epoch: String
    public let serverTime: Int64

    public init(accepted: [PushAck], duplicates: [PushAck], rejected: [PushRejection], epoch: String, serverTime: Int64) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
        self.epoch = epoch
        self.serverTime = serverTime
    }

    public var json: JSONValue {
        ["accepted": .array(accepted.map(\.json)), "duplicates": .array(duplicates.map(\.json)),
         "rejected": .array(rejected.map(\.json)), "epoch": .string(epoch), "server_time": .int(serverTime),
         "protocol": .int(SyncProtocol.version)]
    }

    public init(json: JSONValue) throws(WireError) {
        let o = try WireObject(json, allowed: ["accepted", "duplicates", "rejected", "epoch", "server_time", "protocol"])
        var accepted: [PushAck] = []
        for (i, v) in try o.array("accepted").enumerated() { accepted.append(try PushAck(json: v, path: "accepted[\(i)]")) }
        var duplicates: [PushAck] = []
        for (i, v) in try o.array("duplicates").enumerated() { duplicates.append(try PushAck(json: v, path: "duplicates[\(i)]")) }
        var rejected: [PushRejection] = []
        for (i, v) in try o.array("rejected").enumerated() { rejected.append(try PushRejection(json: v, path: "rejected[\(i)]")) }
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
        epoch = try o.string("epoch")
        serverTime = try o.int("server_time")
    }
}

/// A control record in a pull answer. `grant`: the device now sees `scope` (the answer carries the
/// scope's whole history, whatever the cursor). `revoke`: it no longer does (the agent pushes what is
/// pending for it, then deletes it locally). `purge`: the session `scope` was purged.
public struct SyncControl: Sendable, Equatable {
    public let id: Int64
    public let type: String
    public let scope: String

    public init(id: Int64, type: String, scope: String) {
        self.id = id
        self.type = type
        self.scope = scope
    }

    var json: JSONValue { ["id": .int(id), "type": .string(type), "scope": .string(scope)] }

    init(json: JSONValue, path: String) throws(WireError) {
        let o = try WireObject(json, path: path, allowed: ["id", "type", "scope"])
        id = try o.int("id")
        type = try o.string("type")
        scope = try o.string("scope")
        guard ["grant", "revoke", "purge"].contains(type) else { throw WireError(o.name("type"), "unknown control type") }
    }
}

/// One event in a pull answer, with its sequence number and receipt.
public struct PulledEvent: Sendable, Equatable {
    public let seq: Int64
    public let event: Event
    public let receipt: String

    public init(seq: Int64, event: Event, receipt: String) {
        self.seq = seq
        self.event = event
        self.receipt = receipt
    }
}

/// `GET /v1/sync/pull?after=SEQ&limit=N[&ack=CONTROL][&scopes=1]` answer. `cursor` is the last *scanned*
/// sequence number (pass it as `after` next time); `head` the server's last sequence number; `more` tells
/// that the scan stopped at the limit; `scopes`, only when asked, every scope the device may see now (an
/// agent asks after a restore, when grants and revokes may have been lost with the server's data).
public struct PullResponse: Sendable, Equatable {
    public let events: [PulledEvent]
    public let controls: [SyncControl]
    public let cursor: Int64
    public let head: Int64
    public let more: Bool
    public let epoch: String
    public let serverTime: Int64
    public let scopes: [String]?

    public init(events: [PulledEvent], controls: [SyncControl], cursor: Int64, head: Int64, more: Bool, epoch: String, serverTime: Int64,
                scopes: [String]? = nil) {
        self.events = events
        self.controls = controls
        self.cursor = cursor
        self.head = head
        self.more = more
        self.epoch = epoch
        self.serverTime = serverTime
        self.scopes = scopes
    }

    public var json: JSONValue {
        var object: JSONValue = [
            "events": .array(events.map { ["seq": .int($0.seq), "event": $0.event.json, "receipt": .string($0.receipt)] }),
            "controls": .array(controls.map(\.json)), "cursor": .int(cursor), "head": .int(head), "more": .bool(more),
            "epoch": .string(epoch), "server_time": .int(serverTime), "protocol": .int(SyncProtocol.version)]
        if let scopes, case .object(var members) = object {
            members["scopes"] = .array(scopes.map { .string($0) })
            object = .object(members)
        }
        return object
    }

    public init(json: JSONValue) throws(WireError) {
        let o = try WireObject(json, allowed: ["events", "controls", "cursor", "head", "more", "epoch", "server_time", "protocol", "scopes"])
        var events: [PulledEvent] = []
        for (i, v) in try o.array("events").enumerated() {
            let item = try WireObject(v, path: "events[\(i)]", allowed: ["seq", "event", "receipt"])
            let event: Event
            do { event = try Event(json: item.members["event"] ?? .null) } catch {
                throw WireError("events[\(i)].event", error.description)
            }
            events.append(PulledEvent(seq: try item.int("seq"), event: event, receipt: try item.string("receipt")))
        }
        var controls: [SyncControl] = []
        for (i, v) in try o.array("controls").enumerated() { controls.append(try SyncControl(json: v, path: "controls[\(i)]")) }
        self.events = events
        self.controls = controls
        cursor = try o.int("cursor")
        head = try o.int("head")
        more = try o.bool("more")
        epoch = try o.string("epoch")
        serverTime = try o.int("server_time")
        if o.members["scopes"] != nil, o.members["scopes"] != .null {
            var scopes: [String] = []
            for (i, v) in try o.array("scopes").enumerated() {
                guard let scope = v.stringValue, !scope.isEmpty, scope.utf8.count <= 512 else {
                    throw WireError("scopes[\(i)]", "a scope name is required")
                }
                scopes.append(scope)
            }
            self.scopes = scopes
        } else {
            scopes = nil
        }
    }
}
