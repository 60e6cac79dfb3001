extension GridView {
    /// The `grid show --json` document (documented in docs/PROTOCOL.md, "Agent JSON output").
    public var json: JSONValue {
        var levelObject: [String: JSONValue] = [:]
        for (criterion, code) in levels { levelObject[criterion] = .string(code) }
        var commentObject: [String: JSONValue] = [:]
        for (criterion, text) in comments { commentObject[criterion] = .string(text) }
        var fieldObject: [String: JSONValue] = [:]
        for field in Template.Field.allCases where field != .option {
            // (harmonisation is reported on its own below)
            if let value = value(field.rawValue) { fieldObject[field.rawValue] = value }
        }
        if let note { fieldObject["note_display"] = .string(GridRules.formatNote(halfPoints: note)) }
        return .object([
            "id": .string(id.entity),
            "template": .string(template.id),
            "session": .string(id.session),
            "candidate": .string(id.candidate),
            "situation": .string(id.situation),
            "option": option.map { .string($0) } ?? .null,
            "levels": .object(levelObject),
            "comments": .object(commentObject),
            "fields": .object(fieldObject),
            "conflicts": .array(conflicts.map { state in
                .object([
                    "field": .string(state.key.field),
                    "displayed": state.value,
                    "values": .array(state.heads.map(GridView.describe)),
                ])
            }),
            "signatures": .array(signatures.map { signature in
                .object([
                    "evaluator": .string(signature.evaluator),
                    "content": .string(signature.content),
                    "name": signature.name.map { .string($0) } ?? .null,
                    "witness": signature.witness.map { .string($0) } ?? .null,
                    "valid": .bool(signature.valid),
                    "at": .int(signature.state.winner.hlc.wall),
                ])
            }),
            "status": .string(status),
            "missing": .array(missing.map { .string($0) }),
            "out_of_scope": .array(outOfScope.map { .string($0) }),
            "required": .array(requiredCriteria.map { .string($0.id) }),
            "signed_content": .string(signedContentHash),
            "signing_blockers": .array(signingBlockers.map { .string($0) }),
            "harmonisation": harmonisation?.json ?? .null,
            "retained_note": retainedNote.map { .int(Int64($0)) } ?? .null,
            "conformity": context.conformity.map { .string($0.rawValue) } ?? .null,
            "members": .array(context.members.map { .string($0) }),
            "unsigned_members": .array(unsignedMembers.map { .string($0) }),
        ])
    }

    /// One event as shown in conflicts and history: value, author, device, time, id.
    public static func describe(_ event: Event) -> JSONValue {
        .object([
            "value": event.value,
            "author": .string(event.author),
            "device": .string(event.device),
            "at": .int(event.hlc.wall),
            "counter": .int(event.hlc.counter),
            "event": .string(event.id),
        ])
    }
}
