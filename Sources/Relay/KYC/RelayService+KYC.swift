import Delivery
import Outbox
import RelayCore
import RelayCrypto

/// Wiring KYC into the service: the admin endpoints, and the delivery handler for `kyc` jobs.
extension RelayService {
    /// The admin KYC endpoints, or nil when the `sqekyc` section is absent (they answer 404).
    static func kycRoutes(_ c: Configuration, store: any OutboxStore, dataKey: DataKey, clock: any Clock,
                          logger: Logger) -> KYCAdminRoutes? {
        guard let settings = c.sqekyc else { return nil }
        let ingest = KYCIngest(store: store, dataKey: dataKey, settings: settings, clock: clock, logger: logger)
        return KYCAdminRoutes(ingest: ingest, settings: settings, clock: clock, logger: logger)
    }

    /// The delivery handler of `kyc` jobs for the pool, or nil when KYC is off. Where the
    /// service builds its `WorkerPool`:
    ///
    ///     let kyc = RelayService.makeKYCHandlerFactory(config, retry: delivery.retry, logger: logger)
    ///     let pool = WorkerPool(store: outbox, configuration: delivery, logger: logger,
    ///                           handlers: kyc.map { [.kyc: $0] } ?? [:])
    ///
    /// `retry` is the engine's policy (the `delivery.retry` section): KYC retries exactly as OTPs
    /// do, bounded by the KYC job's longer validity (`sqekyc.job_validity_seconds`).
    public static func makeKYCHandlerFactory(_ c: Configuration, retry: RetryPolicy, clock: any Clock = SystemClock(),
                                             logger: Logger) -> JobHandlerFactory? {
        guard let settings = c.sqekyc else { return nil }
        return KYCJobHandler.factory(settings: settings, retry: retry, clock: clock, logger: logger)
    }
}
