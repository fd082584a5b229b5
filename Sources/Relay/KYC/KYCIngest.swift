import Dispatch
import Outbox
import RelayCore
import RelayCrypto
import SQEKYC
import Synchronization

/// Turns a KYC request body into a durable outbox job: validate every field (errors in the
/// partner's shape, naming the field), then enqueue with the record sealed in the payload and the
/// phone number masked and hashed like an OTP recipient. Shared by the admin `POST /v1/kyc` and
/// `otp-relay kyc store`, so both accept exactly the same records.
public final class KYCIngest: Sendable {
    /// How long a blocking submit waits for the commit before answering 503.
    public static let defaultCommitTimeoutMillis = 10_000

    private let store: any JobIngestStore
    private let settings: SQEKYCSettings
    private let keys: OutboxKeys
    private let clock: any WallClock
    private let logger: Logger

    public init(
        store: any JobIngestStore, dataKey: DataKey, settings: SQEKYCSettings, clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.keys = OutboxKeys(dataKey: dataKey)
        self.clock = clock
        self.logger = logger
    }

    /// Validates and enqueues; `completion` runs after the commit (on the writer thread).
    public func submit(
        body: [UInt8], actor: String,
        completion: @escaping @Sendable (Result<EnqueueResult, PartnerError>) -> Void
    ) {
        let now = clock.nowMillis()
        let record: KYCRecord
        do {
            record = try KYCRecord.parse(body, defaultClientID: settings.clientID, nowMillis: now)
        } catch {
            logger.info("kyc rejected", ["actor": .string(actor), "reason": .string(error.errorDescription)])
            completion(.failure(error))
            return
        }
        let job = job(for: record, now: now)
        let logger = self.logger
        store.enqueue(job) { result in
            switch result {
            case .success(let r):
                logger.info(
                    "kyc queued",
                    [
                        "job_id": .string(r.id), "to": .string(record.maskedPhone),
                        "actor": .string(actor),
                    ])
                completion(.success(r))
            case .failure(let e):
                logger.error("kyc not stored", ["error": .string(String(describing: e))])
                completion(.failure(.unavailable(retryAfterSeconds: 1, reason: "store cannot commit")))
            }
        }
    }

    /// `submit`, waiting for the commit (admin requests run on Dispatch workers; the CLI has
    /// nothing else to do).
    public func submitAndWait(
        body: [UInt8], actor: String,
        timeoutMillis: Int = defaultCommitTimeoutMillis
    ) throws(PartnerError) -> EnqueueResult {
        let box = ResultBox()
        submit(body: body, actor: actor) { box.put($0) }
        guard let result = box.take(timeoutMillis: timeoutMillis) else {
            throw PartnerError.unavailable(retryAfterSeconds: 1, reason: "outbox commit timed out")
        }
        return try result.get()
    }

    /// The outbox job for a validated record: kind `kyc` on channel `sqekyc`, the record's JSON
    /// sealed as the secret, the `+62…` number sealed as the recipient and shown masked.
    func job(for record: KYCRecord, now: Int64) -> NewJob {
        let phone = record.e164Phone
        return NewJob(
            kind: .kyc, channel: kycChannelName, recipient: phone, recipientMasked: record.maskedPhone,
            recipientHash: keys.recipientHash(phone),
            secret: Array(record.requestJSON.utf8), createdAt: now,
            expiresAt: now + settings.jobValidityMillis)
    }
}

/// One result handed from the writer thread to a waiting caller.
private final class ResultBox: Sendable {
    private let value = Mutex<Result<EnqueueResult, PartnerError>?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func put(_ r: Result<EnqueueResult, PartnerError>) {
        value.withLock { $0 = r }
        ready.signal()
    }

    func take(timeoutMillis: Int) -> Result<EnqueueResult, PartnerError>? {
        guard ready.wait(timeout: .now() + .milliseconds(timeoutMillis)) == .success else { return nil }
        return value.withLock { $0 }
    }
}
