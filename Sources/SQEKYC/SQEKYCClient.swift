import RelayCore
import Transport

/// The SQEKYC API of the partner document: store approved KYC data (`POST /v1/common-kyc`) and
/// read it back by phone number (`GET /v1/common-kyc?phone_number=62…`), both with
/// BasicAuth(ClientID:ClientSecret).
///
/// Blocking, on one libcurl handle: not Sendable, make one per thread (each delivery worker has
/// its own) so consecutive calls reuse the connection. Answers are classified in `SQEKYCError`
/// for the outbox; the client itself neither retries nor logs (the record is personal data).
public final class SQEKYCClient {
    public let configuration: SQEKYCConfiguration
    private let http: HTTPClient
    private let clock: any WallClock
    /// The HTTP status of the last answer (nil after a transport failure), for attempt records.
    public private(set) var lastHTTPStatus: Int?

    public init(configuration: SQEKYCConfiguration, clock: any WallClock = SystemClock()) {
        self.configuration = configuration
        self.http = HTTPClient(configuration: configuration.httpClient)
        self.clock = clock
    }

    /// Lets another thread use this client next (a pool handing it on; see `HTTPClient.releaseThread`).
    public func releaseThread() { http.releaseThread() }

    /// Stores an approved record (a first KYC or an approved update). Success is a 2xx answer
    /// with a well-formed `meta`, whatever its status word says.
    public func store(_ record: KYCRecord) throws(SQEKYCError) -> SQEKYCMeta {
        let response = try send(method: "POST", url: configuration.endpoint, body: Array(record.requestJSON.utf8))
        let meta = SQEKYCResponse.meta(SQEKYCResponse.body(response.body))
        guard response.isSuccess else { throw failure(response, meta: meta) }
        guard let meta else { throw SQEKYCError(.malformedResponse(status: response.status)) }
        return meta
    }

    /// The record stored for a phone number (`62…`, `+62…` or `08…`), or nil when SQEKYC has
    /// none (404, or a success without `data`).
    public func fetch(phoneNumber: String) throws(SQEKYCError) -> KYCRecord? {
        guard let phone = KYCRecord.normalizePhone(phoneNumber) else { throw SQEKYCError(.invalidPhoneNumber) }
        let url = configuration.endpoint + "?phone_number=" + Self.percentEncode(phone)
        let response = try send(method: "GET", url: url, body: [])
        if response.status == 404 { return nil }
        let body = SQEKYCResponse.body(response.body)
        let meta = SQEKYCResponse.meta(body)
        guard response.isSuccess else { throw failure(response, meta: meta) }
        guard let meta else { throw SQEKYCError(.malformedResponse(status: response.status)) }
        switch body?["data"] {
        case nil, .null?:
            return nil
        case let data?:
            guard let record = KYCRecord.decode(data) else {
                throw SQEKYCError(.malformedResponse(status: response.status), requestID: meta.id.nonEmpty)
            }
            return record
        }
    }

    private func send(method: String, url: String, body: [UInt8]) throws(SQEKYCError) -> HTTPClientResponse {
        var headers = [("Accept", "application/json")]
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        let request = HTTPClientRequest(
            method: method, url: url, headers: headers, body: body,
            basicAuth: .init(user: configuration.clientID, password: configuration.clientSecret))
        lastHTTPStatus = nil
        do {
            let response = try http.perform(request)
            lastHTTPStatus = response.status
            return response
        } catch {
            throw SQEKYCError(transport: error)
        }
    }

    /// A non-2xx answer: 401/403 are our credentials, 408/425/429/5xx are worth another try
    /// (after `Retry-After`), anything else (400, 422, other 4xx, an unexpected 3xx) is final.
    private func failure(_ r: HTTPClientResponse, meta: SQEKYCMeta?) -> SQEKYCError {
        let id = meta?.id.nonEmpty
        switch r.status {
        case 401, 403:
            return SQEKYCError(.credentials(status: r.status), requestID: id)
        case 408, 425, 429, 500...599:
            return SQEKYCError(
                .unavailable(status: r.status),
                retryAfterMillis: SQEKYCResponse.retryAfterMillis(r, nowMillis: clock.nowMillis()),
                requestID: id)
        default:
            return SQEKYCError(.rejected(status: r.status), requestID: id)
        }
    }

    /// RFC 3986 query value encoding: unreserved characters as they are, every other byte `%XX`.
    static func percentEncode(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
