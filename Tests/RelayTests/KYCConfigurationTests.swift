import Foundation
import RelayCore
import RelayTestSupport
import SQEKYC
import XCTest

@testable import Relay

/// The `sqekyc` section and the `OTP_RELAY_SQEKYC_*` overrides: presets, secrets from files,
/// errors naming the key and never the secret.
final class KYCConfigurationTests: XCTestCase {
    let dir = TempDirectory("otp-relay-kyc-config")

    func load(_ json: String?, env: [String: String] = [:]) throws -> Configuration {
        guard let json else { return try Configuration.load(path: nil, environment: env) }
        let path = dir.file("c-\(UUID().uuidString.prefix(6)).json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try Configuration.load(path: path, environment: env)
    }

    func assertKey(_ json: String?, env: [String: String] = [:], _ key: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(json, env: env), file: file, line: line) { e in
            let e = e as? ConfigError
            XCTAssertEqual(e?.key, key, "\(String(describing: e))", file: file, line: line)
            XCTAssertFalse(e?.description.contains("s3cr3t") ?? true, file: file, line: line)
        }
    }

    func testAbsentMeansOff() throws {
        XCTAssertNil(try load(nil).sqekyc)
        XCTAssertNil(try load("{}").sqekyc)
    }

    func testPresetsAndDefaults() throws {
        let s = try XCTUnwrap(
            try load(#"{"sqekyc": {"environment": "sandbox", "client_id": "nanovest", "client_secret": "s3cr3t"}}"#).sqekyc)
        XCTAssertEqual(s.environment, .sandbox)
        XCTAssertEqual(s.baseURL, "https://sqekyc.stg.squantumengine.com")
        XCTAssertEqual(s.client.endpoint, "https://sqekyc.stg.squantumengine.com/v1/common-kyc")
        XCTAssertEqual(s.clientID, "nanovest")
        XCTAssertEqual(s.clientSecret, "s3cr3t")
        XCTAssertEqual(s.timeoutMillis, 10_000)
        XCTAssertEqual(s.jobValiditySeconds, 86_400)
        XCTAssertFalse(s.description.contains("s3cr3t"))
        XCTAssertFalse(s.client.description.contains("s3cr3t"))
        let p = try XCTUnwrap(
            try load(
                #"{"sqekyc": {"environment": "production", "client_id": "siminvest", "client_secret": "s3cr3t", "timeout_ms": 2500, "#
                    + #""job_validity_seconds": 3600}}"#
            ).sqekyc)
        XCTAssertEqual(p.baseURL, "https://sqekyc.squantumengine.com")
        XCTAssertEqual(p.timeoutMillis, 2_500)
        XCTAssertEqual(p.jobValidityMillis, 3_600_000)
    }

    func testBaseURLAndSecretFile() throws {
        let secretFile = dir.file("sqekyc-secret")
        try "s3cr3t\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let s = try XCTUnwrap(
            try load(
                """
                {"sqekyc": {"environment": "sandbox", "base_url": "https://kyc-proxy.internal:8443", "client_id": "nanovest",
                            "client_secret_file": "\(secretFile)"}}
                """
            ).sqekyc)
        XCTAssertEqual(s.baseURL, "https://kyc-proxy.internal:8443")
        XCTAssertEqual(s.clientSecret, "s3cr3t")
        XCTAssertNotNil(try load(#"{"sqekyc": {"base_url": "http://127.0.0.1:9999", "client_id": "a", "client_secret": "b"}}"#).sqekyc)
    }

    func testEnvironmentOverridesTheFileAndAloneTurnsKYCOn() throws {
        let env = [
            "OTP_RELAY_SQEKYC_BASE_URL": "https://sqekyc.squantumengine.com", "OTP_RELAY_SQEKYC_CLIENT_ID": "siminvest",
            "OTP_RELAY_SQEKYC_CLIENT_SECRET": "from-env",
        ]
        let s = try XCTUnwrap(
            try load(#"{"sqekyc": {"environment": "sandbox", "client_id": "nanovest", "client_secret": "s3cr3t"}}"#, env: env).sqekyc)
        XCTAssertEqual(s.baseURL, "https://sqekyc.squantumengine.com")
        XCTAssertEqual(s.environment, .production)
        XCTAssertEqual(s.clientID, "siminvest")
        XCTAssertEqual(s.clientSecret, "from-env")
        let alone = try XCTUnwrap(try load(nil, env: env).sqekyc)
        XCTAssertEqual(alone.clientID, "siminvest")
        XCTAssertEqual(alone.jobValiditySeconds, 86_400)
        let secretFile = dir.file("env-secret")
        try "file-secret".write(toFile: secretFile, atomically: true, encoding: .utf8)
        var viaFile = env
        viaFile["OTP_RELAY_SQEKYC_CLIENT_SECRET"] = nil
        viaFile["OTP_RELAY_SQEKYC_CLIENT_SECRET_FILE"] = secretFile
        XCTAssertEqual(try load(nil, env: viaFile).sqekyc?.clientSecret, "file-secret")
    }

    func testErrorsNameTheKey() {
        assertKey(#"{"sqekyc": {"environment": "staging", "client_id": "a", "client_secret": "s3cr3t"}}"#, "sqekyc.environment")
        assertKey(#"{"sqekyc": {"client_id": "a", "client_secret": "s3cr3t"}}"#, "sqekyc.environment")
        assertKey(#"{"sqekyc": {"environment": "sandbox", "client_secret": "s3cr3t"}}"#, "sqekyc.client_id")
        assertKey(#"{"sqekyc": {"environment": "sandbox", "client_id": "a"}}"#, "sqekyc.client_secret")
        assertKey(
            #"{"sqekyc": {"environment": "sandbox", "client_id": "a", "client_secret": "s3cr3t", "client_secret_file": "/x"}}"#,
            "sqekyc.client_secret_file")
        assertKey(
            #"{"sqekyc": {"environment": "sandbox", "client_id": "a", "client_secret_file": "/nonexistent/secret"}}"#,
            "sqekyc.client_secret_file")
        assertKey(#"{"sqekyc": {"base_url": "http://sqekyc.example.com", "client_id": "a", "client_secret": "s3cr3t"}}"#, "sqekyc.base_url")
        assertKey(
            #"{"sqekyc": {"base_url": "https://u:p@sqekyc.example.com", "client_id": "a", "client_secret": "s3cr3t"}}"#, "sqekyc.base_url")
        assertKey(
            #"{"sqekyc": {"environment": "sandbox", "client_id": "a", "client_secret": "s3cr3t", "timeout_ms": 0}}"#, "sqekyc.timeout_ms")
        assertKey(
            #"{"sqekyc": {"environment": "sandbox", "client_id": "a", "client_secret": "s3cr3t", "job_validity_seconds": 60}}"#,
            "sqekyc.job_validity_seconds")
        assertKey(
            #"{"sqekyc": {"environment": "sandbox", "client_id": "a", "client_secret": "s3cr3t", "clientsecret": "x"}}"#,
            "sqekyc.clientsecret")
        assertKey(nil, env: ["OTP_RELAY_SQEKYC_BASE_URL": "ftp://x"], "OTP_RELAY_SQEKYC_BASE_URL")
        assertKey(nil, env: ["OTP_RELAY_SQEKYC_CLIENT_SECRET": "s3cr3t"], "sqekyc.environment")
        assertKey(
            nil, env: ["OTP_RELAY_SQEKYC_BASE_URL": "https://x.example", "OTP_RELAY_SQEKYC_CLIENT_SECRET": "s3cr3t"], "sqekyc.client_id")
    }
}
