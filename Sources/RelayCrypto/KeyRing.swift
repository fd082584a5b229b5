/// The data keys of one deployment: `current` seals every new payload; `previous` keys only open
/// payloads sealed before a rotation; `staged` (`otp-relay keys rotate --stage`) is the next
/// current key, already handed to every node so that each opens what a node that promoted it seals,
/// but never sealing here; `index` is the key the HMAC lookup keys (dedupe key, recipient hash) are
/// derived from, so they survive a rotation. Safe to share between threads.
///
/// A sealed payload names its key: `"OKR"(3) | version(1) = 1 | key id(8) | nonce | ciphertext | tag`,
/// the 12-byte header authenticated with the caller's associated data (`header + associatedData`).
/// A payload without the header (sealed before key ids) opens with the index key, then any other.
public struct KeyRing: Sendable {
    public static let magic: [UInt8] = [0x4F, 0x4B, 0x52]  // "OKR"
    public static let version: UInt8 = 1
    public static let keyIDLength = 8
    public static let headerLength = magic.count + 1 + keyIDLength

    public let current: DataKey
    /// Older keys, newest first.
    public let previous: [DataKey]
    public let index: DataKey
    /// The next current key: opens, never seals (nil when none is staged, or when it is `current`
    /// or one of `previous`).
    public let staged: DataKey?
    /// The opening keys with their ids, and the header of a payload sealed now: each id is an
    /// HMAC, computed once here rather than on every seal and open.
    private let identified: [(id: [UInt8], key: DataKey)]
    /// The header of a payload sealed now (under `current`).
    public let currentHeader: [UInt8]

    /// A ring; `index` defaults to the oldest key (the last of `previous`, else `current`).
    public init(current: DataKey, previous: [DataKey] = [], index: DataKey? = nil, staged: DataKey? = nil) {
        let currentID = current.keyID
        self.current = current
        let older = previous.map { (id: $0.keyID, key: $0) }.filter { $0.id != currentID }
        self.previous = older.map(\.key)
        self.index = index ?? previous.last ?? current
        var ids = [(id: currentID, key: current)] + older
        if let staged, !ids.contains(where: { $0.id == staged.keyID }) {
            self.staged = staged
            ids.append((staged.keyID, staged))
        } else {
            self.staged = nil
        }
        identified = ids
        currentHeader = Self.header(currentID)
    }

    /// The keys that open payloads: current, previous, then the staged key (the index key only
    /// when it is one of them).
    public var openingKeys: [DataKey] { [current] + previous + (staged.map { [$0] } ?? []) }

    /// Whether `sealed` names the staged key in its header (a node that promoted it sealed it):
    /// re-sealing leaves it, since it would move it back to an older key.
    public func isUnderStagedKey(_ sealed: [UInt8]) -> Bool {
        guard let staged, let id = Self.keyID(of: sealed) else { return false }
        return id == staged.keyID
    }

    /// The key whose id is `id`, among the opening keys.
    public func key(id: some Collection<UInt8>) -> DataKey? {
        identified.first { $0.id.elementsEqual(id) }?.key
    }

    static func header(_ keyID: [UInt8]) -> [UInt8] { magic + [version] + keyID }

    /// The key id a sealed payload's header names; nil when it has no header.
    public static func keyID(of sealed: [UInt8]) -> [UInt8]? {
        guard sealed.count >= headerLength + DataKey.overhead, sealed.starts(with: magic), sealed[magic.count] == version
        else { return nil }
        return Array(sealed[(magic.count + 1)..<headerLength])
    }

    /// Seals under the current key, with the header in front.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        let h = currentHeader
        return h + (try current.seal(plaintext, associatedData: h + associatedData))
    }

    /// Opens a payload by the key its header names (a header naming no key of the ring, or
    /// altered, fails); a payload without a header is tried with the index key, then the others.
    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        if let id = Self.keyID(of: sealed), let key = key(id: id) {
            let h = Array(sealed[..<Self.headerLength])
            if let plain = try? key.open(Array(sealed[Self.headerLength...]), associatedData: h + associatedData) {
                return plain
            }
        }
        // No header, or 4 random nonce bytes that look like one (a payload from before key ids).
        var tried: [DataKey] = []
        for key in [index] + openingKeys where !tried.contains(where: { $0.keyID == key.keyID }) {
            tried.append(key)
            if let plain = try? key.open(sealed, associatedData: associatedData) { return plain }
        }
        throw .authenticationFailed
    }
}

extension DataKey {
    /// The first 8 bytes of the fingerprint: names the key in a sealed payload's header.
    public var keyID: [UInt8] { Array(derive(label: "key-fingerprint").prefix(KeyRing.keyIDLength)) }

    /// `keyID` in hex (the first 16 hex digits of `fingerprint`).
    public var keyIDHex: String { Crypto.hex(keyID) }
}
