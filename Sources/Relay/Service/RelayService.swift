import Delivery
import Dispatch
import Foundation
import HTTPServer
import Outbox
import RelayCore
import RelayCrypto

/// The running service: start-up and shutdown in one place, shutdown in reverse order with a
/// deadline (stop accepting, finish in-flight requests and sends, release leases, close the store).
public final class RelayService: Sendable {
    public let configuration: Configuration
    public let logger: Logger
    public let metrics = RelayMetrics()
    let deliveryMetrics: DeliveryMetrics
    let store: any OutboxStore
    let publicServer: HTTPServer
    let publicHandler: PublicHandler
    let adminServer: HTTPServer
    let pool: WorkerPool?
    let retention: RetentionSweeper?
    let clock: any WallClock

    /// Opens the store (migrating it), builds the handlers; nothing listens until `start()`.
    public init(configuration: Configuration, dataKey: DataKey, logger: Logger, clock: any WallClock = SystemClock()) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.deliveryMetrics = DeliveryMetrics(clock: clock)
        let c = configuration
        store = try StoreFactory.open(c.storeLocation, dataKey: dataKey, clock: clock, logger: logger)
        let ingest = OTPIngest(
            store: store, dataKey: dataKey,
            settings: .init(
                defaultCountryCode: c.defaultCountryCode,
                otpValidityMillis: Int64(c.otpValiditySeconds) * 1000,
                dedupeWindowMillis: Int64(c.dedupeWindowSeconds) * 1000),
            perIdentifier: SlidingWindowLimiter(
                max: c.rateLimits.perIdentifierMax,
                windowSeconds: c.rateLimits.perIdentifierWindowSeconds,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clock: clock, logger: logger, metrics: metrics)
        publicHandler = PublicHandler(
            authenticator: BasicAuthenticator(credentials: c.webhookCredentials),
            failedAuth: SlidingWindowLimiter(
                max: c.rateLimits.failedAuthMax,
                windowSeconds: c.rateLimits.failedAuthWindowSeconds,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clientAddress: ClientAddress(trustedProxies: Set(c.trustedProxies)),
            ingest: ingest, clock: clock, logger: logger, metrics: metrics)
        pool =
            c.deliveryEnabled
            ? WorkerPool(
                store: store, configuration: c.effectiveDelivery, clock: clock, logger: logger,
                handlers: RelayService.kycHandlers(c, retry: c.effectiveDelivery.retry, clock: clock, logger: logger),
                observer: { [deliveryMetrics] in deliveryMetrics.observe($0) })
            : nil
        retention =
            c.retentionMillis > 0
            ? RetentionSweeper(
                store: store, retentionMillis: c.retentionMillis, everyMillis: c.retentionSweepMillis,
                clock: clock, logger: logger)
            : nil
        var http = c.http
        http.host = c.listen.host
        http.port = c.listen.port
        publicServer = HTTPServer(
            name: "public http", configuration: http, handler: publicHandler,
            logger: logger.with(["server": "public"]))

        let authorizer = AdminAuthorizer(
            basic: BasicAuthenticator(credentials: c.adminCredentials), bearer: RelayService.bearerCheck(c.simasID, logger: logger),
            failedAuth: SlidingWindowLimiter(
                max: c.rateLimits.failedAuthMax,
                windowSeconds: c.rateLimits.failedAuthWindowSeconds,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clientAddress: ClientAddress(trustedProxies: Set(c.trustedProxies)), clock: clock, logger: logger)
        let store = self.store
        let metrics = self.metrics
        let handler = publicHandler
        let adminHandler = AdminHandler(
            authorizer: authorizer, store: store, clock: clock, logger: logger,
            health: { [pool] in
                HealthReport(
                    storeWritable: store.isWritable,
                    workersAlive: pool?.isRunning ?? true, draining: handler.isDraining)
            },
            metricsText: { [deliveryMetrics] in
                RelayService.metricsText(store: store, metrics: metrics, delivery: deliveryMetrics, now: clock.nowMillis())
            },
            statusPage: { StatusPage.render(store: store, metrics: metrics, now: clock.nowMillis()) },
            kyc: RelayService.kycRoutes(c, store: store, dataKey: dataKey, clock: clock, logger: logger))
        var adminHTTP = HTTPServerConfiguration()
        adminHTTP.host = c.adminListen.host
        adminHTTP.port = c.adminListen.port
        adminHTTP.maxConnections = 256
        adminHTTP.maxBodyBytes = 64 * 1024
        adminServer = HTTPServer(
            name: "admin http", configuration: adminHTTP, handler: adminHandler,
            logger: logger.with(["server": "admin"]))
    }

    /// Binds the listeners and starts serving.
    public func start() throws {
        let delivery = configuration.effectiveDelivery
        if let pool {
            if delivery.isSandboxOnly {
                logger.warning(
                    "SANDBOX DELIVERY: no providers configured; every OTP is written to the sandbox file and NOT sent to anyone",
                    ["sandbox_file": .string(configuration.sandboxFile)])
            }
            logger.info("delivery routes", ["routes": .string(delivery.routeSummary)])
            pool.start()
        } else {
            logger.warning("delivery disabled: this instance only accepts jobs (delivery_enabled is false)")
        }
        retention?.start()
        try publicServer.start()
        try adminServer.start()
        logger.info(
            "listening",
            [
                "public": .string(ListenAddress(host: configuration.listen.host, port: publicServer.port).description),
                "admin": .string(ListenAddress(host: configuration.adminListen.host, port: adminServer.port).description),
                "database": .string(configuration.databasePath),
            ])
    }

    public var publicPort: Int { publicServer.port }
    public var adminPort: Int { adminServer.port }

    /// Stops in reverse order of start-up within the grace period.
    public func shutdown() {
        let deadline = configuration.shutdownGraceSeconds * 1000
        logger.info("shutting down", ["grace_ms": .int(Int64(deadline))])
        publicHandler.startDraining()
        publicServer.shutdown(by: .now + .milliseconds(deadline))
        adminServer.shutdown(by: .now + .seconds(1))
        if let pool, !pool.shutdown(by: .now + .milliseconds(deadline)) {
            logger.warning("delivery: sends still running at the shutdown deadline; their leases will be rescued")
        }
        retention?.stop()
        let w = store.writerStatistics
        store.close()
        logger.info(
            "stopped",
            [
                "accepted": .int(Int64(metrics.accepted)), "duplicates": .int(Int64(metrics.duplicates)),
                "commit_batches": .int(Int64(w.batches)), "committed_items": .int(Int64(w.items)),
                "failed_batches": .int(Int64(w.failedBatches)),
            ])
    }

    /// Runs until SIGTERM or SIGINT, then shuts down. Returns the process exit status.
    public func runUntilSignalled() -> Int32 {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let done = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "otp-relay.signals")
        let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler { done.signal() }
            s.resume()
            return s
        }
        done.wait()
        shutdown()
        sources.forEach { $0.cancel() }
        return 0
    }
}
