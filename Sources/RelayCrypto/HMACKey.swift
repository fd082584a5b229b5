import CCrypto

/// An HMAC-SHA256 key used many times (the outbox's lookup keys, once per webhook request): the
/// inner and outer padded key blocks are absorbed once, and each MAC starts from copies of those
/// two states, so a short message costs two SHA-256 compressions instead of four and nothing is
/// allocated but the context and the result.
///
/// `@unchecked Sendable`: the two prepared contexts are only read (copied from) after `init`.
public final class HMACKey: @unchecked Sendable {
    private let inner: OpaquePointer
    private let outer: OpaquePointer

    public init(_ key: [UInt8]) {
        var block = key.count > 64 ? Crypto.sha256(key) : key
        block.append(contentsOf: repeatElement(0, count: 64 - block.count))
        defer { block.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        guard let i = EVP_MD_CTX_new(), let o = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
        inner = i
        outer = o
        for (ctx, pad) in [(inner, UInt8(0x36)), (outer, UInt8(0x5c))] {
            let padded = block.map { $0 ^ pad }
            guard EVP_DigestInit_ex2(ctx, SHA256Digest.shared.pointer, nil) == 1,
                padded.withUnsafeBytes({ EVP_DigestUpdate(ctx, $0.baseAddress, 64) }) == 1
            else { fatalError("HMAC key setup failed") }
        }
    }

    deinit {
        EVP_MD_CTX_free(inner)  // frees clear their state
        EVP_MD_CTX_free(outer)
    }

    /// HMAC-SHA256 of the bytes `body` passes to its argument, as one or more parts.
    public func mac(_ body: (_ update: (UnsafeRawBufferPointer) -> Void) -> Void) -> [UInt8] {
        let ctx = DigestContext()
        guard EVP_MD_CTX_copy_ex(ctx.pointer, inner) == 1 else { fatalError("EVP_MD_CTX_copy_ex failed") }
        body { part in if let p = part.baseAddress { ctx.update(p, part.count) } }
        let innerDigest = ctx.finish()
        guard EVP_MD_CTX_copy_ex(ctx.pointer, outer) == 1 else { fatalError("EVP_MD_CTX_copy_ex failed") }
        ctx.update(innerDigest)
        return ctx.finish()
    }

    /// HMAC-SHA256 of `data`.
    public func mac(_ data: [UInt8]) -> [UInt8] {
        mac { update in data.withUnsafeBytes(update) }
    }

    /// HMAC-SHA256 of the UTF-8 bytes of `text`.
    public func mac(_ text: String) -> [UInt8] {
        var text = text
        return mac { update in text.withUTF8 { update(UnsafeRawBufferPointer($0)) } }
    }
}
