import CCurl
import RelayCore

/// One transfer on a `CurlMulti` driver: its easy handle, what libcurl points at, its state
/// machine and its completion. Confined to the driver's thread once queued (built on it, or
/// handed over through the driver's inbox with the handle's owner released).
final class CurlTransfer: @unchecked Sendable {
    let easy: CurlEasy
    let resources: TransferResources
    var machine = TransferStateMachine()
    /// Reads the result off the easy handle and runs the caller's completion.
    private let complete: (CurlTransfer, CURLcode?, Int64) -> Void

    init(easy: CurlEasy, resources: TransferResources, complete: @escaping (CurlTransfer, CURLcode?, Int64) -> Void) {
        self.easy = easy
        self.resources = resources
        self.complete = complete
    }

    /// curl finished it with `code` (`nil`: aborted), `elapsed` milliseconds after it started.
    func finish(code: CURLcode?, elapsedMillis: Int64) {
        withExtendedLifetime(resources) { complete(self, code, elapsedMillis) }
    }

    /// An HTTP request (`HTTPTransferSetup`, the blocking client's options) with multiplexing
    /// preferred: over HTTP/2 (https with ALPN) the transfer waits for a stream on an open
    /// connection rather than opening another one.
    static func http(
        easy: CurlEasy, request: HTTPClientRequest, configuration: HTTPClientConfiguration,
        receiveBuffer: Int,
        completion: @escaping @Sendable (TransferEnd<HTTPClientResponse>) -> Void
    ) throws(TransportError) -> CurlTransfer {
        // The driver's handles are new or were reset when recycled: no second reset per transfer.
        let resources = try HTTPTransferSetup.configure(easy, request: request, configuration: configuration, alreadyReset: true)
        try easy.set(CURLOPT_PIPEWAIT, true)
        try easy.set(CURLOPT_HTTP_VERSION, ccurl_http_version_2tls())
        if receiveBuffer > 0 { try easy.set(CURLOPT_BUFFERSIZE, receiveBuffer) }
        return CurlTransfer(easy: easy, resources: resources) { t, code, elapsed in
            guard let code else { return completion(.aborted) }
            completion(.completed(HTTPTransferSetup.response(t.easy, code: code, resources: t.resources, elapsedMillis: elapsed)))
        }
    }

    /// An SMTP submission (`SMTPClient.configure`, the blocking client's options).
    static func smtp(
        easy: CurlEasy, submission: SMTPSubmission, configuration: SMTPClientConfiguration,
        completion: @escaping @Sendable (TransferEnd<Int>) -> Void
    ) throws(TransportError) -> CurlTransfer {
        let resources = try SMTPClient.configure(easy, submission: submission, configuration: configuration)
        return CurlTransfer(easy: easy, resources: resources) { t, code, _ in
            guard let code else { return completion(.aborted) }
            completion(.completed(SMTPClient.reply(t.easy, code: code)))
        }
    }
}
