import CCurl

/// What libcurl's callbacks see of a transfer, passed as `Unmanaged` user data: the callbacks
/// are C function pointers that capture nothing.
final class TransferContext {
    let maxBodyBytes: Int
    let maxHeaderBytes: Int
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    var headerBytes = 0
    var tooLarge = false
    /// Bytes to upload through the read callback (SMTP), and how many were handed out.
    var upload: [UInt8] = []
    var uploadOffset = 0

    init(maxBodyBytes: Int, maxHeaderBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer?) -> TransferContext {
        Unmanaged<TransferContext>.fromOpaque(p!).takeUnretainedValue()
    }

    /// CURLOPT_WRITEFUNCTION: collects the body; returning less than given aborts the transfer.
    static let writeBody: ccurl_data_cb = { data, size, count, user in
        let ctx = TransferContext.from(user)
        let n = size * count
        guard ctx.body.count + n <= ctx.maxBodyBytes else {
            ctx.tooLarge = true
            return 0
        }
        if n > 0, let data {
            ctx.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
        }
        return n
    }

    /// CURLOPT_HEADERFUNCTION: one call per header line. A status line starts a new response
    /// (after `100 Continue`), so earlier headers are dropped.
    static let writeHeader: ccurl_data_cb = { data, size, count, user in
        let ctx = TransferContext.from(user)
        let n = size * count
        ctx.headerBytes += n
        guard ctx.headerBytes <= ctx.maxHeaderBytes else {
            ctx.tooLarge = true
            return 0
        }
        guard n > 0, let data else { return n }
        let line = UnsafeRawBufferPointer(start: data, count: n)
        if line.starts(with: "HTTP/".utf8) {
            ctx.headers.removeAll()
            return n
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return n }
        let name = trimmed(line[..<colon])
        let value = trimmed(line[(colon + 1)...])
        if !name.isEmpty { ctx.headers.append((name, value)) }
        return n
    }

    /// Bytes as text without surrounding spaces, tabs, CR and LF.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace = { (b: UInt8) in b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = bytes.lastIndex(where: { !isSpace($0) })!
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// CURLOPT_READFUNCTION: hands out `upload` in pieces.
    static let readUpload: ccurl_data_cb = { buffer, size, count, user in
        let ctx = TransferContext.from(user)
        let room = size * count
        let left = ctx.upload.count - ctx.uploadOffset
        let n = min(room, left)
        guard n > 0, let buffer else { return 0 }
        ctx.upload.withUnsafeBytes { src in
            UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + ctx.uploadOffset, byteCount: n)
        }
        ctx.uploadOffset += n
        return n
    }
}
