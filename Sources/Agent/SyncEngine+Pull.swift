import Shared

extension SyncEngine {
    /// Pulls pages until the server has nothing more, saving the cursor with each applied page, so an
    /// interrupted pull resumes where it stopped. Returns the server's new epoch when it was restored
    /// (another epoch, or a head below the saved cursor); nil when done.
    func pullAll() throws -> String? {
        var acknowledging = false
        var stalled = 0
        while true {
            let cursor = try store.intSetting(LocalStore.SyncKey.cursor) ?? 0
            let ack = try store.intSetting(LocalStore.SyncKey.controlAck) ?? 0
            // After a restore (possibly seen by an earlier sync that was cut): ask for this device's scopes.
            let reconcileScopes = try store.setting(LocalStore.SyncKey.scopesPending) == "1"
            var target = "/v1/sync/pull?after=\(cursor)&limit=\(configuration.pullLimit)"
            if ack > 0 {
                target += "&ack=\(ack)"
                // Control ids start again after a restore: the acknowledgement only counts in its epoch.
                if let epoch = try store.setting(LocalStore.SyncKey.epoch) { target += "&epoch=\(epoch)" }
            }
            if reconcileScopes { target += "&scopes=1" }
            let page: PullResponse
            do {
                page = try PullResponse(json: try exchange(authorized("GET", target)))
            } catch let error as WireError {
                throw SyncError.badAnswer("réponse de réception : \(error.description)")
            }
            if let known = try store.setting(LocalStore.SyncKey.epoch) {
                if known != page.epoch || page.head < cursor { return page.epoch }
            } else {
                try store.setSetting(LocalStore.SyncKey.epoch, page.epoch)
            }
            let controls = page.controls.filter { $0.id > ack }.sorted { $0.id < $1.id }
            // After a restore, grants and revokes decided in what the server lost are gone: every scope
            // this laptop holds that the server no longer lets it see is revoked here (what was pending
            // in it was pushed again just before).
            var reconciled: [SyncControl] = []
            if reconcileScopes, let allowed = page.scopes.map(Set.init) {
                reconciled = try store.heldScopes().subtracting(allowed).sorted().map { SyncControl(id: 0, type: "revoke", scope: $0) }
                for control in reconciled { try pushPending(scope: control.scope) }
            }
            // What is pending for a scope about to disappear goes to the server first.
            for control in controls where control.type == "revoke" {
                try pushPending(scope: control.scope)
            }
            let next = max(cursor, page.cursor)
            stalled = page.more && next <= cursor ? stalled + 1 : 0
            if stalled > 2 {
                throw SyncError.badAnswer("le curseur de réception n'avance pas")
            }
            let outcome = try store.applyPullPage(events: page.events, controls: reconciled + controls, cursor: next,
                                                  controlAck: controls.last?.id ?? ack,
                                                  scopesReconciled: reconcileScopes && page.scopes != nil)
            summary.pulled += outcome.inserted
            summary.confirmed += outcome.confirmed
            summary.controls += outcome.controls
            summary.notices += outcome.notices
            report("Réception : \(next)/\(page.head)")
            if page.more { continue }
            // Applied controls are acknowledged by one more (short) pull, so the server can drop them.
            if !controls.isEmpty && !acknowledging {
                acknowledging = true
                continue
            }
            return nil
        }
    }
}
