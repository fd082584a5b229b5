import Delivery
import Dispatch
import Foundation
import HTTPServer
import Outbox
import RelayCore
import RelayCrypto

/// The running service: its long-lived parts started through one `ServiceGroup` and shut down in
/// reverse by one deadline (see `components` for the order and why).
public final class RelayService: Sendable {
    public let configuration: Configuration
    public let logger: Logger
    public let metrics = RelayMetrics()
    let receiptMetrics = ReceiptMetrics()
    let deliveryMetrics: DeliveryMetrics
    let store: any OutboxStore
    let publicServer: HTTPServer
    let publicHandler: PublicHandler
    let adminServer: HTTPServer
    /// The token gateway's listener (`auth_listen`); nil when off.
    let authGateway: AuthGateway?
    let pool: WorkerPool?
    let retention: RetentionSweeper?
    let clock: any WallClock
    /// `Type=notify` under systemd (`NOTIFY_SOCKET`); nil otherwise.
    let notifier: SystemdNotifier?
    let group: ServiceGroup

    /// A service whose key ring is the one key `dataKey`.
    public convenience init(
        configuration: Configuration, dataKey: DataKey, logger: Logger, clock: any WallClock = SystemClock(),
        monotonic: any MonotonicClock = SystemMonotonicClock()
    ) throws {
        try self.init(configuration: configuration, keys: KeyRing(current: dataKey), logger: logger, clock: clock, monotonic: monotonic)
    }

    /// Opens the store as its owner (locking it, migrating it), builds the handlers; nothing listens
    /// until `start()`.
    /// `keys.current` seals new jobs; the HMAC lookup keys derive from `keys.index`. `clock` gives
    /// stored time points; `monotonic` the rate limiters' windows and the security log's intervals.
    /// With `systemd` (`serve` under a `Type=notify` unit) the service notifies systemd and feeds
    /// its watchdog.
    public init(
        configuration: Configuration, keys: KeyRing, logger: Logger, clock: any WallClock = SystemClock(),
        monotonic: any MonotonicClock = SystemMonotonicClock(), systemd: SystemdNotifier.Settings? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.deliveryMetrics = DeliveryMetrics(clock: clock)
        let c = configuration
        var storeOptions = OutboxOptions()
        storeOptions.maxAttempts = c.effectiveDelivery.retry.maxAttempts  // caps a dead owner's returned leases
        store = try StoreFactory.open(
            c.storeLocation, keys: keys, clock: clock, logger: logger, options: storeOptions, access: .owner,
            postgresql: c.postgreSQLOptions)
        let ingest = OTPIngest(
            store: store, dataKey: keys.index,
            settings: .init(
                defaultCountryCode: c.defaultCountryCode,
                otpValidity: c.otpValidity, dedupeWindow: c.dedupeWindow),
            perIdentifier: SlidingWindowLimiter(
                max: c.rateLimits.perIdentifierMax,
                window: c.rateLimits.perIdentifierWindow,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clock: clock, monotonic: monotonic, logger: logger, metrics: metrics)
        publicHandler = PublicHandler(
            authenticator: BasicAuthenticator(credentials: c.webhookCredentials),
            failedAuth: SlidingWindowLimiter(
                max: c.rateLimits.failedAuthMax,
                window: c.rateLimits.failedAuthWindow,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clientAddress: ClientAddress(trustedProxies: Set(c.trustedProxies)),
            ingest: ingest, monotonic: monotonic, logger: logger, metrics: metrics,
            receipts: { [store, receiptMetrics] throttle in
                c.deliveryEnabled
                    ? ReceiptEndpoints(
                        delivery: c.effectiveDelivery, store: store, throttle: throttle, metrics: receiptMetrics, clock: clock)
                    : nil
            }, webhookMaxBody: c.http.maxBodyBytes)
        pool =
            c.deliveryEnabled
            ? WorkerPool(
                store: store, configuration: c.effectiveDelivery, clock: clock, monotonic: monotonic, logger: logger,
                handlers: RelayService.kycHandlers(c, retry: c.effectiveDelivery.retry, clock: clock, logger: logger),
                observer: { [deliveryMetrics] in deliveryMetrics.observe($0) })
            : nil
        retention =
            c.retention > .zero
            ? RetentionSweeper(
                store: store, retention: c.retention, every: c.retentionSweepInterval,
                clock: clock, logger: logger)
            : nil
        var http = c.http
        if publicHandler.receipts != nil { http.maxBodyBytes = max(http.maxBodyBytes, ReceiptEndpoints.maxBodyBytes) }
        http.host = c.listen.host
        http.port = c.listen.port
        publicServer = HTTPServer(
            name: "public http", configuration: http, handler: publicHandler,
            logger: logger.with(["server": "public"]))

        let authorizer = AdminAuthorizer(
            basic: BasicAuthenticator(credentials: c.adminCredentials), bearer: RelayService.bearerCheck(c.simasID, logger: logger),
            failedAuth: SlidingWindowLimiter(
                max: c.rateLimits.failedAuthMax,
                window: c.rateLimits.failedAuthWindow,
                maxKeys: c.rateLimits.maxTrackedKeys),
            clientAddress: ClientAddress(trustedProxies: Set(c.trustedProxies)), monotonic: monotonic, logger: logger)
        let store = self.store
        let metrics = self.metrics
        let gateway = RelayService.authGateway(c, clock: clock, monotonic: monotonic, logger: logger)
        authGateway = gateway
        let handler = publicHandler
        let adminHandler = AdminHandler(
            authorizer: authorizer, store: store, clock: clock, logger: logger,
            health: { [pool] in
                let log = store.writerStatistics.log
                return HealthReport(
                    storeWritable: store.isWritable,
                    workersAlive: pool?.isRunning ?? true, draining: handler.isDraining,
                    walBytes: log.bytes, walDegraded: log.degraded)
            },
            metricsText: { [deliveryMetrics, receiptMetrics, pool] in
                RelayService.metricsText(
                    store: store, metrics: metrics, delivery: deliveryMetrics, receipts: receiptMetrics,
                    load: pool?.providerLoad ?? [], now: clock.nowMillis())
                    + (gateway?.metricsText() ?? "")
            },
            statusPage: { [receiptMetrics] in
                StatusPage.render(store: store, metrics: metrics, receipts: receiptMetrics, now: clock.nowMillis())
            },
            kyc: RelayService.kycRoutes(c, store: store, dataKey: keys.index, clock: clock, logger: logger))
        var adminHTTP = HTTPServerConfiguration()
        adminHTTP.host = c.adminListen.host
        adminHTTP.port = c.adminListen.port
        adminHTTP.maxConnections = c.adminHTTP.maxConnections
        adminHTTP.maxBodyBytes = c.adminHTTP.maxBodyBytes
        adminServer = HTTPServer(
            name: "admin http", configuration: adminHTTP, handler: adminHandler,
            logger: logger.with(["server": "admin"]))
        notifier = systemd.map { [pool] in
            SystemdNotifier(settings: $0, logger: logger) { store.writerResponds() && (pool?.isRunning ?? true) }
        }
        group = ServiceGroup(
            RelayService.components(
                store: store, retention: retention, admin: adminServer, auth: gateway, public: publicServer, pool: pool)
                + (notifier.map { [$0] } ?? []),
            logger: logger)
    }

    /// Starts the components in this order, each only after the one before it started:
    ///
    /// 1. the store (opened in `init`; closed last, after everything that writes to it);
    /// 2. the retention sweeper;
    /// 3. the admin listener (then the auth listener, when on), 4. the public listener: they bind here, so a port already taken
    ///    fails the start before anything delivers;
    /// 5. the delivery pool: a second `serve` on a taken port (or on the same database)
    ///    must not claim and send jobs before it fails. Jobs accepted in the moment before it
    ///    starts wait in the outbox; the pool claims them at once;
    /// 6. under systemd, the notifier (READY=1 once all the rest runs; STOPPING=1 first at shutdown).
    ///
    /// Shutdown runs in reverse: the pool first stops claiming and finishes its in-flight sends
    /// while the listeners still answer (the public handler already refuses new webhooks with
    /// 503 and `/readyz` says draining), then the public and admin listeners close, the sweeper
    /// stops, and the store closes.
    static func components(
        store: any OutboxStore, retention: RetentionSweeper?, admin: HTTPServer, auth: AuthGateway? = nil, public: HTTPServer,
        pool: WorkerPool?
    ) -> [any LifecycleComponent] {
        var list: [any LifecycleComponent] = [store]
        if let retention { list.append(retention) }
        list.append(admin)
        if let auth { list.append(auth) }  // the token gateway (`auth_listen`), when on
        list.append(`public`)
        if let pool { list.append(pool) }
        return list
    }

    /// Binds the listeners and starts serving and delivering. When a part fails to start (a port
    /// taken), the parts already started are shut down and the error is rethrown.
    public func start() throws {
        let delivery = configuration.effectiveDelivery
        if pool != nil {
            if delivery.isSandboxOnly {
                logger.warning(
                    "SANDBOX DELIVERY: every route ends at the sandbox provider; every OTP is written to the sandbox file "
                        + "and NOT sent to anyone",
                    ["sandbox_file": .string(configuration.sandboxFile)])
            }
            logger.info("delivery routes", ["routes": .string(delivery.routeSummary)])
        } else {
            logger.warning("delivery disabled: this instance only accepts jobs (delivery_enabled is false)")
        }
        try group.start()
        logger.info(
            "listening",
            [
                "public": .string(ListenAddress(host: configuration.listen.host, port: publicServer.port).description),
                "admin": .string(ListenAddress(host: configuration.adminListen.host, port: adminServer.port).description),
                "auth": .string(authGateway.map { ListenAddress(host: $0.address.host, port: $0.server.port).description } ?? "off"),
                "database": .string(configuration.storeDescription),
            ])
    }

    public var publicPort: Int { publicServer.port }
    public var adminPort: Int { adminServer.port }
    /// The auth listener's port; 0 when it is off.
    public var authPort: Int { authGateway?.server.port ?? 0 }

    /// Refuses new webhooks, then shuts the components down in reverse order of start-up, all
    /// by one deadline: the shutdown grace period from now.
    public func shutdown() {
        let grace = configuration.shutdownGrace
        logger.info("shutting down", ["grace_ms": .int(grace.wholeMilliseconds)])
        publicHandler.startDraining()
        let reports = group.shutdown(by: .now + grace)
        guard !reports.isEmpty else { return }
        let w = store.writerStatistics
        if reports.contains(where: { $0.name == "delivery" && !$0.finishedInTime }) {
            logger.warning("delivery: sends still running at the shutdown deadline; their leases will be rescued")
        }
        logger.info(
            "stopped",
            [
                "accepted": .int(Int64(metrics.accepted)), "duplicates": .int(Int64(metrics.duplicates)),
                "commit_batches": .int(Int64(w.batches)), "committed_items": .int(Int64(w.items)),
                "failed_batches": .int(Int64(w.failedBatches)),
            ])
    }

    /// Runs until SIGTERM or SIGINT (caught since `signals` was made), then shuts down. Returns
    /// the process exit status.
    public func runUntilSignalled(_ signals: ShutdownSignals = ShutdownSignals()) -> Int32 {
        signals.wait()
        shutdown()
        return 0
    }
}
