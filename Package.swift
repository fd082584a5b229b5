// swift-tools-version:6.0
// otp-relay: receives SIMAS-ID one-time passwords and delivers them. No Swift package dependencies:
// Foundation, Dispatch, Synchronization and system C libraries only.
import PackageDescription

let package = Package(
    name: "otp-relay",
    products: [
        .executable(name: "otp-relay", targets: ["otp-relay"])
    ],
    targets: [
        // C libraries, as system-library targets (module.modulemap + shim.h).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libpq, for the PostgreSQL store (headers in /usr/include/postgresql).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Linux calls Swift's Glibc module leaves out: epoll, eventfd, accept4, mallopt (glibc headers).
        .systemLibrary(name: "CSystem"),

        // Domain: channels, recipients, validation, job ids, masking, the partner's error shape, logging.
        .target(name: "RelayCore"),
        // AES-256-GCM, SHA-256, HMAC, secure random, constant-time comparison (libcrypto).
        .target(name: "RelayCrypto", dependencies: ["CCrypto"]),
        // HTTP/1.1 server on POSIX sockets and epoll.
        .target(name: "HTTPServer", dependencies: ["CSystem", "RelayCore"]),
        // Outbound transports on libcurl easy handles (one per worker thread): Transport/HTTP (the HTTP
        // client for providers, JWKS, userinfo, SQEKYC), Transport/SMTP (submission), Transport/Curl (the
        // easy handle, URL policy and transfer callbacks both share).
        .target(name: "Transport", dependencies: ["CCurl", "RelayCore"]),
        // The outbox: the SQLite store (migrations, jobs, attempts, leases, group commit) and the
        // PostgreSQL store for several nodes (Outbox/PostgreSQL, libpq); CMigrations embeds both's migrations.
        .target(name: "CMigrations", path: "Sources/CMigrations"),
        .target(name: "Outbox", dependencies: ["CSQLite", "CPostgres", "CMigrations", "RelayCore", "RelayCrypto"]),
        // Workers and providers (smtp, twilio, meta_whatsapp, http, sandbox).
        .target(name: "Delivery", dependencies: ["RelayCore", "RelayCrypto", "Transport", "Outbox"]),
        // SIMAS-ID access tokens: JWKS, RS256, claims, userinfo, `token verify`.
        .target(name: "SIMASID", dependencies: ["RelayCore", "RelayCrypto", "Transport", "CCrypto"]),
        // The SQEKYC client (store and fetch KYC records) and the KYC record's validation.
        .target(name: "SQEKYC", dependencies: ["RelayCore", "Transport"]),
        // The service: configuration, webhook and admin handlers, start-up and shutdown.
        .target(
            name: "Relay",
            dependencies: [
                "RelayCore", "RelayCrypto", "HTTPServer", "Transport", "Outbox", "Delivery", "SIMASID", "SQEKYC",
            ]),
        // The command line.
        .executableTarget(name: "otp-relay", dependencies: ["CSystem", "Relay", "Outbox", "RelayCore", "SIMASID", "SQEKYC"]),
        // Benchmark: warm-cache access-token verifications per second (scripts/bench-jwt).
        .executableTarget(name: "bench-jwt", dependencies: ["SIMASID", "RelayCore"]),
        // Benchmark: a fake gateway and a paced webhook client (scripts/bench-delivery).
        .executableTarget(name: "bench-delivery", dependencies: ["HTTPServer"]),

        // Helpers shared by the service-level tests: raw HTTP on loopback, the real binary as a process.
        .target(name: "RelayTestSupport", path: "Tests/RelayTestSupport"),

        .testTarget(name: "RelayCoreTests", dependencies: ["RelayCore", "RelayTestSupport"]),
        .testTarget(name: "RelayCryptoTests", dependencies: ["RelayCrypto"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "RelayTestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "HTTPServer", "RelayTestSupport"]),
        .testTarget(name: "OutboxTests", dependencies: ["Outbox", "RelayTestSupport"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "RelayTestSupport"]),
        .testTarget(name: "SIMASIDTests", dependencies: ["SIMASID", "RelayTestSupport"]),
        .testTarget(name: "SQEKYCTests", dependencies: ["SQEKYC", "RelayTestSupport"]),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "RelayTestSupport", "Outbox", "SIMASID", "SQEKYC"]),
        .testTarget(name: "EndToEndTests", dependencies: ["otp-relay", "RelayCore", "RelayTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
