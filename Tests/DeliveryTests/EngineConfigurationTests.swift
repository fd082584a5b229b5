import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Delivery

/// `DeliveryConfiguration.parse`: every provider kind, routes, policies, and errors naming keys.
final class EngineConfigurationTests: XCTestCase {
    /// Parses JSON text the way the service reads its file.
    func parse(_ text: String, environment: [String: String] = [:]) throws -> DeliveryConfiguration {
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return try DeliveryConfiguration.parse(json, sandboxFile: "/tmp/default.jsonl", environment: environment)
    }

    func assertError(
        _ text: String, _ expected: String, environment: [String: String] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try parse(text, environment: environment), file: file, line: line) { e in
            XCTAssertEqual((e as? ConfigError).map { "\($0.key): \($0.problem)" }, expected, file: file, line: line)
        }
    }

    static let full = """
        {
          "providers": {
            "mail": {"kind": "smtp", "url": "smtps://smtp.example.com:465", "username": "otp", "password": "pw",
                     "from_address": "otp@example.com", "from_name": "SIMAS-ID", "concurrency": 4},
            "twilio": {"kind": "twilio", "account_sid": "AC123", "api_key_sid": "SK1", "api_key_secret_env": "TW_SECRET",
                       "sms_from": "+15005550006", "whatsapp_from": "+14155238886", "whatsapp_content_sid": "HX1"},
            "meta": {"kind": "meta_whatsapp", "phone_number_id": "1055", "access_token": "EAAG", "template_name": "otp_auth",
                     "language_codes": {"id": "id", "en": "en"}},
            "gateway": {"kind": "http", "url": "https://sms.example.net/send", "headers": {"X-Api-Key": "k"},
                        "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}", "channels": ["sms"],
                        "message_id_path": "data.id", "total_timeout_ms": 5000},
            "dev": {"kind": "sandbox", "file": "/tmp/dev.jsonl"}
          },
          "routes": {"whatsapp": ["meta", "twilio"], "sms": ["twilio", "gateway"], "email": ["mail", "dev"]},
          "fallback": {"whatsapp": "sms"},
          "retry": {"base_delay_ms": 250, "max_delay_ms": 20000, "max_attempts": 6},
          "circuit_breaker": {"consecutive_failures": 3, "failure_rate": 0.6, "window": 30, "cool_down_ms": 15000},
          "workers": 16, "batch_size": 64, "lease_ms": 45000, "language": "en", "app_name": "Bank Sinarmas",
          "templates": {"en": {"sms": {"text": "{app} code {otp} ({minutes} min)"}}}
        }
        """

    func testFullSectionParses() throws {
        let c = try parse(Self.full, environment: ["TW_SECRET": "s3cret"])
        XCTAssertEqual(Set(c.providers.keys), ["mail", "twilio", "meta", "gateway", "dev"])
        XCTAssertEqual(c.providers["mail"]?.kind, "smtp")
        XCTAssertEqual(c.providers["mail"]?.maxConcurrency, 4)
        XCTAssertEqual(c.providers["gateway"]?.channels, [.sms])
        XCTAssertEqual(c.routes.rungs(for: .whatsapp).map(\.provider), ["meta", "twilio", "twilio", "gateway"])
        XCTAssertEqual(c.retry.baseDelay, .milliseconds(250))
        XCTAssertEqual(c.retry.maxAttempts, 6)
        XCTAssertEqual(
            c.breaker, CircuitBreakerPolicy(consecutiveFailures: 3, failureRate: 0.6, window: 30, coolDown: .milliseconds(15_000)))
        XCTAssertEqual(c.workers, 16)
        XCTAssertEqual(c.batchSize, 64)
        XCTAssertEqual(c.lease, .milliseconds(45_000))
        XCTAssertEqual(c.language, "en")
        XCTAssertEqual(c.appName, "Bank Sinarmas")
        XCTAssertFalse(c.isSandboxOnly)
        XCTAssertEqual(
            c.routeSummary,
            "email: mail > dev; sms: twilio > gateway; whatsapp: meta > twilio > sms:twilio > sms:gateway")
        let m = c.templates.render(
            jobID: "j", channel: .sms, recipient: "+62811", otp: "123456", language: "en",
            validityMinutes: 5, appName: c.appName)
        XCTAssertEqual(m.text, "Bank Sinarmas code 123456 (5 min)")
        XCTAssertEqual(c.templates.template(for: .sms, language: "id"), MessageTemplates.builtIn["id"]![.sms])
    }

    func testAbsentSectionIsTheSandboxForEveryChannel() throws {
        for section in [nil, [:]] as [[String: Any]?] {
            let c = try DeliveryConfiguration.parse(section, sandboxFile: "/tmp/s.jsonl", appName: "X")
            XCTAssertTrue(c.isSandboxOnly)
            XCTAssertEqual(c.providers.keys.sorted(), ["sandbox"])
            for channel in Channel.allCases { XCTAssertEqual(c.routes.rungs(for: channel).map(\.provider), ["sandbox"]) }
            XCTAssertEqual(c.appName, "X")
        }
    }

    func testSecretFromAFile() throws {
        let dir = TempDirectory("otp-relay-delivery")
        let path = dir.file("token")
        try "EAAG-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let c = try parse(
            """
            {"providers": {"meta": {"kind": "meta_whatsapp", "phone_number_id": "1", "access_token_file": "\(path)",
                                    "template_name": "otp"}},
             "routes": {"whatsapp": ["meta"]}}
            """)
        XCTAssertEqual(c.providers["meta"]?.kind, "meta_whatsapp")
    }

    func testErrorsNameTheKey() {
        let meta = #"{"kind": "meta_whatsapp", "phone_number_id": "1", "template_name": "otp"}"#
        assertError(
            #"{"providers": {"meta": \#(meta)}, "routes": {"whatsapp": ["meta"]}}"#,
            "delivery.providers.meta.access_token: is required")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]}, "retries": {}}"#,
            "delivery.retries: unknown key")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox", "fille": "x"}}, "routes": {"sms": ["dev"]}}"#,
            "delivery.providers.dev.fille: unknown key")
        assertError(
            #"{"providers": {"dev": {"kind": "pigeon"}}, "routes": {"sms": ["dev"]}}"#,
            "delivery.providers.dev.kind: must be smtp, twilio, meta_whatsapp, http or sandbox")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["nope"]}}"#,
            "delivery.routes.sms: unknown provider nope")
        assertError(
            #"{"providers": {"meta": \#(meta.dropLast()), "access_token": "t"}}, "routes": {"sms": ["meta"]}}"#,
            "delivery.routes.sms: provider meta cannot deliver sms")
        assertError(#"{"providers": {"dev": {"kind": "sandbox"}}}"#, "delivery.routes: is required")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]}, "workers": 0}"#,
            "delivery.workers: must be an integer from 1 to 1024")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]}, "retry": {"max_attempts": "3"}}"#,
            "delivery.retry.max_attempts: must be a number")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"], "email": ["dev"]}, "fallback": {"sms": "email"}}"#,
            "delivery.fallback: sms: cannot fall back to email (the recipient is not the same kind)")
        assertError(
            #"{"providers": {"m": {"kind": "smtp", "url": "http://x", "from_address": "a@b.co"}}, "routes": {"email": ["m"]}}"#,
            "delivery.providers.m.url: must start with smtps:// or smtp://")
        assertError(
            #"{"providers": {"t": {"kind": "twilio", "account_sid": "AC1", "sms_from": "+1"}}, "routes": {"sms": ["t"]}}"#,
            "delivery.providers.t.auth_token: give auth_token, or api_key_sid with api_key_secret")
        assertError(
            #"{"providers": {"t": {"kind": "twilio", "account_sid": "AC1", "auth_token_env": "NOPE", "sms_from": "+1"}}, "routes": "#
                + #"{"sms": ["t"]}}"#,
            "delivery.providers.t.auth_token_env: environment variable NOPE is not set")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]}, "templates": {"en": {"sms": {"text": "{code}"}}}}"#,
            "delivery.templates.en.sms.text: unknown placeholder {code}")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox", "file": ""}}, "routes": {"sms": ["dev"]}}"#,
            "delivery.providers.dev.file: required")
        assertError(
            #"{"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]}, "language": "fr"}"#,
            "delivery.language: must be id or en")
    }

    func testErrorsNeverEchoSecrets() {
        XCTAssertThrowsError(
            try parse(
                #"{"providers": {"t": {"kind": "twilio", "account_sid": "AC1", "auth_token": "TOPSECRET", "auth_token_file": "/x"}}, "#
                    + #""routes": {"sms": ["t"]}}"#
            )
        ) { e in
            XCTAssertFalse("\(e)".contains("TOPSECRET"))
            XCTAssertEqual("\(e)", "config: delivery.providers.t.auth_token: give one of auth_token, auth_token_file, auth_token_env")
        }
    }
}
