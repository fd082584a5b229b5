import RelayCore
import RelayTestSupport
import XCTest

@testable import Relay

final class ConfigurationTests: XCTestCase {
    func load(_ json: String, env: [String: String] = [:]) throws -> Configuration {
        let dir = TempDirectory()
        let path = dir.file("c.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try Configuration.load(path: path, environment: env)
    }

    func assertConfigError(_ json: String, key: String, env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(json, env: env), file: file, line: line) { e in
            XCTAssertEqual((e as? ConfigError)?.key, key, "\(e)", file: file, line: line)
        }
    }

    func testEmbeddedDefault() throws {
        let c = try Configuration.load(path: nil, environment: [:])
        XCTAssertEqual(c.databasePath, "otp-relay.sqlite")
        XCTAssertEqual(c.listen.description, "127.0.0.1:8080")
        XCTAssertEqual(c.adminListen.description, "127.0.0.1:9090")
        XCTAssertEqual(c.defaultCountryCode, "62")
        XCTAssertEqual(c.dedupeWindow, .seconds(60))
        XCTAssertEqual(c.otpValidity, .seconds(300))
        XCTAssertEqual(c.resolvedDataKeyFile, "./otp-relay.data-key")
    }

    func testDatabaseListenURLMovesOnlyTheListenerAndNeedsDatabaseURL() throws {
        let c = try load(#"{"database_url": "postgresql://otp@pgbouncer:6432/otp", "database_listen_url": "host=db1,db2 dbname=otp"}"#)
        XCTAssertEqual(c.storeLocation, .postgresql(url: "postgresql://otp@pgbouncer:6432/otp"))
        XCTAssertEqual(c.postgreSQLOptions.listenURL, "host=db1,db2 dbname=otp")
        let e = try load(
            "{}", env: ["OTP_RELAY_DATABASE_URL": "postgresql://a/otp", "OTP_RELAY_DATABASE_LISTEN_URL": "postgresql://b/otp"])
        XCTAssertEqual(e.postgreSQLOptions.listenURL, "postgresql://b/otp")
        XCTAssertNil(try load("{}", env: ["OTP_RELAY_DATABASE_URL": "postgresql://a/otp"]).postgreSQLOptions.listenURL)
        assertConfigError(#"{"database_listen_url": "postgresql://b/otp"}"#, key: "database_listen_url")
        assertConfigError(#"{"database_url": "postgresql://a/otp", "database_listen_url": "b"}"#, key: "database_listen_url")
    }

    func testUnknownKeysAreNamed() {
        assertConfigError(#"{"listen": "127.0.0.1:1", "lisen": "x"}"#, key: "lisen")
        assertConfigError(#"{"http": {"idle_timeout": 5}}"#, key: "http.idle_timeout")
        assertConfigError(
            #"{"webhook_credentials": [{"username": "a", "password": "b", "pasword": "c"}]}"#,
            key: "webhook_credentials[0].pasword")
    }

    func testInvalidValuesAreNamed() {
        assertConfigError(#"{"listen": "nowhere"}"#, key: "listen")
        assertConfigError(#"{"listen": 8080}"#, key: "listen")
        assertConfigError(#"{"http": {"max_connections": 0}}"#, key: "http.max_connections")
        assertConfigError(#"{"http": {"max_connections": 1.5}}"#, key: "http.max_connections")
        assertConfigError(#"{"data_key": "c2hvcnQ="}"#, key: "data_key")
        assertConfigError(#"{"default_country_code": "+62"}"#, key: "default_country_code")
        assertConfigError(#"{"log_level": "loud"}"#, key: "log_level")
        assertConfigError(#"{"dedupe_window_seconds": 600, "otp_validity_seconds": 300}"#, key: "dedupe_window_seconds")
        assertConfigError(#"{"trusted_proxies": ["not-an-ip"]}"#, key: "trusted_proxies[0]")
        assertConfigError(#"{"webhook_credentials": [{"username": "a:b", "password": "x"}]}"#, key: "webhook_credentials[0].username")
        assertConfigError(#"{"webhook_credentials": [{"username": "a"}]}"#, key: "webhook_credentials[0].password")
        assertConfigError("[1]", key: "")
        assertConfigError("{not json", key: "")
    }

    func testEnvironmentOverridesFile() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let c = try load(
            #"{"database": "file.sqlite", "listen": "127.0.0.1:1111"}"#,
            env: [
                "OTP_RELAY_DB": "/tmp/env.sqlite", "OTP_RELAY_LISTEN": "[::1]:2222", "OTP_RELAY_ADMIN_LISTEN": "127.0.0.1:3333",
                "OTP_RELAY_WEBHOOK_USERNAME": "simas", "OTP_RELAY_WEBHOOK_PASSWORD": "pw",
                "OTP_RELAY_DATA_KEY": key, "OTP_RELAY_LOG_LEVEL": "debug", "OTP_RELAY_SANDBOX_FILE": "/tmp/s.jsonl",
            ])
        XCTAssertEqual(c.databasePath, "/tmp/env.sqlite")
        XCTAssertEqual(c.listen, ListenAddress(host: "::1", port: 2222))
        XCTAssertEqual(c.adminListen.port, 3333)
        XCTAssertEqual(c.webhookCredentials.map(\.username), ["simas"])
        XCTAssertEqual(c.logLevel, .debug)
        XCTAssertEqual(c.sandboxFile, "/tmp/s.jsonl")
        XCTAssertNotNil(c.dataKey)
        XCTAssertEqual(c.stateDirectory, "/tmp")
    }

    func testSecretsFromFiles() throws {
        let dir = TempDirectory()
        try "s3cret\n".write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        let c = try load(
            #"{"admin_credentials": [{"username": "ops", "password_file": "\#(dir.file("pw"))"}]}"#,
            env: ["OTP_RELAY_WEBHOOK_USERNAME": "w", "OTP_RELAY_WEBHOOK_PASSWORD_FILE": dir.file("pw")])
        let auth = BasicAuthenticator(credentials: c.adminCredentials)
        XCTAssertEqual(auth.authenticate(authorizationHeader: WebhookRequest.basic("ops", "s3cret")), "ops")
        let hook = BasicAuthenticator(credentials: c.webhookCredentials)
        XCTAssertEqual(hook.authenticate(authorizationHeader: WebhookRequest.basic("w", "s3cret")), "w")
        XCTAssertThrowsError(try Configuration.load(path: nil, environment: ["OTP_RELAY_WEBHOOK_USERNAME": "w"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "OTP_RELAY_WEBHOOK_PASSWORD")
        }
    }

    func testConfigErrorNeverEchoesSecrets() {
        XCTAssertThrowsError(try load(#"{"data_key": "hunter2hunter2"}"#)) { e in
            XCTAssertFalse(String(describing: e).contains("hunter2"))
        }
    }

    func testListenAddressParsing() {
        XCTAssertEqual(ListenAddress(parsing: "0.0.0.0:80"), ListenAddress(host: "0.0.0.0", port: 80))
        XCTAssertEqual(ListenAddress(parsing: "[::1]:8080"), ListenAddress(host: "::1", port: 8080))
        XCTAssertEqual(ListenAddress(parsing: "localhost:1"), ListenAddress(host: "127.0.0.1", port: 1))
        for bad in ["", ":80", "1.2.3.4", "1.2.3.4:99999", "::1:80", "[::1]80", "host name:80", "evil.com:80"] {
            XCTAssertNil(ListenAddress(parsing: bad), bad)
        }
    }
}
