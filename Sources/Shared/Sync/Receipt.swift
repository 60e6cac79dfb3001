/// The server's acknowledgement of one accepted event: HMAC-SHA256, under a key kept outside the
/// database, of `grille-receipt-v1`, the event id and the SHA-256 of its canonical bytes, each followed by
/// a newline. It does not cover the sequence number, so it stays valid across a restore; an agent that
/// re-pushes another author's event proves with it that the server once accepted that event.
public enum Receipt {
    public static func make(for event: Event, key: [UInt8]) -> String {
        Hex.encode(HMACSHA256.authenticate(message(for: event), key: key))
    }

    public static func isValid(_ receipt: String, for event: Event, key: [UInt8]) -> Bool {
        guard let mac = Hex.decode(receipt), mac.count == 32 else { return false }
        return HMACSHA256.isValid(mac, for: message(for: event), key: key)
    }

    static func message(for event: Event) -> [UInt8] {
        message(id: event.id, canonicalBytes: event.canonicalBytes)
    }

    static func message(id: String, canonicalBytes: some Sequence<UInt8>) -> [UInt8] {
        Array("grille-receipt-v1\n\(id)\n\(Hex.encode(SHA256.hash(canonicalBytes)))\n".utf8)
    }

    /// Makes receipts under one key with the key's HMAC pads absorbed once (the push path signs every
    /// accepted event), from canonical bytes the caller already holds. Same receipts as `make`.
    public struct Signer: Sendable {
        private let keyed: HMACSHA256.KeyedState

        public init(key: [UInt8]) {
            keyed = HMACSHA256.KeyedState(key: key)
        }

        public func receipt(id: String, canonicalBytes: some Sequence<UInt8>) -> String {
            var inner = keyed.inner
            inner.update(Receipt.message(id: id, canonicalBytes: canonicalBytes))
            return Hex.encode(keyed.finish(inner))
        }
    }
}
