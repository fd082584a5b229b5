import Delivery
import Outbox
import RelayCore
import RelayCrypto

/// Wiring KYC into the service: the admin endpoints, and the delivery handler for `kyc` jobs.
extension RelayService {
    /// The admin KYC endpoints, or nil when the `sqekyc` section is absent (they answer 404).
    static func kycRoutes(
        _ c: Configuration, store: any JobIngestStore, dataKey: DataKey, clock: any WallClock,
        logger: Logger
    ) -> KYCAdminRoutes? {
        guard let settings = c.sqekyc else { return nil }
        let ingest = KYCIngest(store: store, dataKey: dataKey, settings: settings, clock: clock, logger: logger)
        return KYCAdminRoutes(ingest: ingest, settings: settings, clock: clock, logger: logger)
    }

    /// The pool's handlers for job kinds other than OTP: `[.kyc: …]` when KYC is on, else none
    /// (a `kyc` job then ends `dead`: "no delivery for kyc").
    static func kycHandlers(
        _ c: Configuration, retry: RetryPolicy, clock: any WallClock,
        logger: Logger
    ) -> [JobKind: JobHandlerFactory] {
        makeKYCHandlerFactory(c, retry: retry, clock: clock, logger: logger).map { [.kyc: $0] } ?? [:]
    }

    /// The delivery handler of `kyc` jobs, or nil when KYC is off. `retry` is the engine's policy
    /// (the `delivery.retry` section): KYC retries exactly as OTPs do, bounded by the KYC job's
    /// longer validity (`sqekyc.job_validity_seconds`).
    public static func makeKYCHandlerFactory(
        _ c: Configuration, retry: RetryPolicy, clock: any WallClock = SystemClock(),
        logger: Logger
    ) -> JobHandlerFactory? {
        guard let settings = c.sqekyc else { return nil }
        return KYCJobHandler.factory(settings: settings, retry: retry, clock: clock, logger: logger)
    }
}
