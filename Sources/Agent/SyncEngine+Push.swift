import Shared

extension SyncEngine {
    /// Pushes the pending local events (of `scope` only, before a revocation) in HLC order, in batches.
    /// Refused events leave the state; after `clock_skew` refusals the clock is corrected from the
    /// server's time, the still-unaccepted events are re-stamped and pushed again.
    func pushPending(scope: String? = nil) throws {
        var corrections = 0
        while true {
            let pending = try store.pendingEvents(scope: scope)
            guard !pending.isEmpty else { return }
            var skewed: [String] = []
            var serverTime: Int64?
            var sent = 0
            for batch in batches(pending, receipts: false) {
                let response = try push(batch.map(\.event), receipts: [:])
                let outcome = try store.applyPushResponse(response)
                summary.pushed += batch.count
                summary.accepted += outcome.accepted
                summary.duplicates += outcome.duplicates
                summary.rejected += outcome.rejected - outcome.skewed.count
                if !outcome.skewed.isEmpty {
                    skewed += outcome.skewed
                    serverTime = response.serverTime
                }
                sent += batch.count
                report("Envoi : \(sent)/\(pending.count) saisie(s)")
            }
            guard let serverTime, !skewed.isEmpty else { return }
            guard corrections < configuration.maxCorrections else {
                let notice = "L'horloge de cet ordinateur reste en désaccord avec celle du serveur : \(skewed.count) saisie(s) attendent. Vérifiez la date et l'heure de l'ordinateur."
                summary.notices.append(notice)
                try store.addNotice(kind: "clock", message: notice)
                return
            }
            corrections += 1
            let offset = serverTime - clock.nowMilliseconds()
            summary.restamped += try store.correctClock(offsetMilliseconds: offset)
            let notice = SyncSummary.skewNotice(offsetMilliseconds: offset)
            summary.notices.append(notice)
            try store.addNotice(kind: "clock", message: notice)
        }
    }

    /// Re-pushes every event the server once held (own accepted events and events pulled from others)
    /// with their receipts, after a restore. Their sequence numbers and receipts are updated.
    func repushAll() throws {
        let events = try store.eventsForRepush()
        var sent = 0
        for batch in batches(events, receipts: true) {
            var receipts: [String: String] = [:]
            for stored in batch { if let receipt = stored.receipt { receipts[stored.event.id] = receipt } }
            let response = try push(batch.map(\.event), receipts: receipts)
            _ = try store.applyPushResponse(response)
            summary.repushed += batch.count
            sent += batch.count
            report("Renvoi au serveur restauré : \(sent)/\(events.count) saisie(s)")
        }
    }

    func push(_ events: [Event], receipts: [String: String]) throws -> PushResponse {
        let body = PushRequest(events: events, receipts: receipts).json
        let answer = try exchange(authorized("POST", "/v1/sync/push", body: body))
        do {
            return try PushResponse(json: answer)
        } catch {
            throw SyncError.badAnswer("réponse d'envoi : \(error.description)")
        }
    }

    func batches(_ events: [LocalStore.StoredEvent], receipts: Bool) -> [[LocalStore.StoredEvent]] {
        Self.batches(events, receipts: receipts, maxEvents: configuration.pushBatchEvents, maxBytes: configuration.pushBatchBytes)
    }

    /// Cuts events (already in HLC order) into pushes of at most `maxEvents` events and `maxBytes`
    /// bytes of body, receipts included.
    static func batches(_ events: [LocalStore.StoredEvent], receipts: Bool, maxEvents: Int, maxBytes: Int) -> [[LocalStore.StoredEvent]] {
        let envelope = 64
        var result: [[LocalStore.StoredEvent]] = []
        var current: [LocalStore.StoredEvent] = []
        var bytes = envelope
        for stored in events {
            var size = stored.bodyBytes + 1
            if receipts, stored.receipt != nil { size += stored.event.id.utf8.count + 64 + 6 }
            if !current.isEmpty && (current.count >= maxEvents || bytes + size > maxBytes) {
                result.append(current)
                current = []
                bytes = envelope
            }
            current.append(stored)
            bytes += size
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
