extension JSONObjectReader {
    /// The index of the wanted field a member name matches (byte for byte after escapes), if any.
    static func slot(
        of key: (start: Int, end: Int, escaped: Bool), in buf: UnsafeBufferPointer<UInt8>,
        names: [[UInt8]]
    ) -> Int? {
        let raw = UnsafeBufferPointer(rebasing: buf[key.start..<key.end])
        guard key.escaped else { return names.firstIndex { $0.elementsEqual(raw) } }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { tmp in
            let n = unescape(raw, into: tmp)
            return names.firstIndex { $0.elementsEqual(UnsafeBufferPointer(rebasing: tmp[0..<n])) }
        }
    }
}
