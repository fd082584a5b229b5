import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import SQEKYC
import XCTest

@testable import Relay

/// `POST /v1/kyc` and `GET /v1/kyc` on the real admin listener, against the fake SQEKYC.
final class KYCAdminTests: XCTestCase {
    let adminAuth = WebhookRequest.basic("admin", "admin-password")

    /// Ingest-only unless `delivering`: the admin tests look at the queued job itself.
    func service(_ fake: SQEKYCFake?, secret: String = SQEKYCFake.clientSecret, delivering: Bool = false) throws -> TestService {
        try TestService { c in
            c.deliveryEnabled = delivering
            if let fake {
                c.sqekyc = SQEKYCSettings(
                    baseURL: fake.baseURL, clientID: SQEKYCFake.clientID, clientSecret: secret,
                    timeoutMillis: 2_000)
            }
        }
    }

    func request(_ s: TestService, _ method: String, _ target: String, body: String = "", auth: String?) throws -> WireResponse {
        let c = try RawConnection(port: s.service.adminPort)
        var lines = ["\(method) \(target) HTTP/1.1", "Host: 127.0.0.1"]
        if let auth { lines.append("Authorization: \(auth)") }
        if method != "GET" { lines += ["Content-Type: application/json", "Content-Length: \(body.utf8.count)"] }
        try c.send(lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
        return try XCTUnwrap(c.readResponse())
    }

    func testPostValidatesAndQueuesThroughTheOutbox() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake)
        let r = try request(s, "POST", "/v1/kyc", body: KYCSample.body, auth: adminAuth)
        XCTAssertEqual(r.status, 200, r.text)
        let id = try XCTUnwrap(r.json?["id"] as? String)
        XCTAssertEqual(r.json?["status"] as? String, "queued")
        XCTAssertEqual(try s.count("id = '\(id)' AND kind = 'kyc' AND channel = 'sqekyc' AND payload IS NOT NULL"), 1)
        XCTAssertEqual(fake.requests().count, 0, "stored by the delivery workers, not by the request")

        // The admin jobs API and the logs show the masked number only.
        let list = try request(s, "GET", "/v1/jobs?kind=kyc", auth: adminAuth)
        XCTAssertEqual(list.status, 200)
        XCTAssertTrue(list.text.contains(KYCSample.masked))
        KYCSample.assertNoPersonalData(list.text, "GET /v1/jobs")
        let one = try request(s, "GET", "/v1/jobs/\(id)", auth: adminAuth)
        XCTAssertEqual(one.status, 200)
        KYCSample.assertNoPersonalData(one.text, "GET /v1/jobs/{id}")
        KYCSample.assertNoPersonalData(s.logLines.all, "the service logs")
        let metrics = try request(s, "GET", "/metrics", auth: adminAuth)
        XCTAssertTrue(metrics.text.contains(#"otp_relay_jobs{channel="sqekyc",status="queued"} 1"#), metrics.text)
    }

    func testTheServicesPoolStoresAPostedRecord() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake, delivering: true)
        let r = try request(s, "POST", "/v1/kyc", body: KYCSample.body, auth: adminAuth)
        let id = try XCTUnwrap(r.json?["id"] as? String)
        let deadline = Date().addingTimeInterval(15)
        var job: [String: Any]?
        while Date() < deadline {
            job = try request(s, "GET", "/v1/jobs/\(id)", auth: adminAuth).json
            if job?["status"] as? String == "sent" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertEqual(job?["status"] as? String, "sent")
        XCTAssertEqual(job?["provider"] as? String, "sqekyc")
        XCTAssertEqual(job?["has_payload"] as? Bool, false)
        XCTAssertEqual(fake.requests().first?["path"] as? String, "/v1/common-kyc")
        let back = try request(s, "GET", "/v1/kyc?phone_number=6281234567890", auth: adminAuth)
        XCTAssertEqual(back.json?["nik"] as? String, "3201234567890001")
        KYCSample.assertNoPersonalData(s.logLines.all, "the service logs")
    }

    func testInvalidRecordsNameTheFieldAndAreNotQueued() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake)
        let bad = KYCSample.body.replacingOccurrences(of: "3201234567890001", with: "32012345")
        let r = try request(s, "POST", "/v1/kyc", body: bad, auth: adminAuth)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json?["error"] as? String, "invalid_request")
        XCTAssertEqual(r.json?["error_description"] as? String, "Field \"nik\" must be 16 digits")
        XCTAssertFalse(r.text.contains("32012345"))
        let noDate = KYCSample.body.replacingOccurrences(of: "1990-05-17", with: "17/05/1990")
        XCTAssertEqual(
            try request(s, "POST", "/v1/kyc", body: noDate, auth: adminAuth).json?["error_description"] as? String,
            "Field \"date_of_birth\" must be a date YYYY-MM-DD")
        XCTAssertEqual(try request(s, "POST", "/v1/kyc", body: "not json", auth: adminAuth).status, 400)
        XCTAssertEqual(try s.count(), 0)
        KYCSample.assertNoPersonalData(s.logLines.all, "the service logs")
    }

    func testGetReadsThroughToSQEKYC() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake)
        let stored = try KYCRecord.parse(Array(KYCSample.body.utf8), defaultClientID: nil, nowMillis: SystemClock().nowMillis())
        _ = try SQEKYCClient(
            configuration: SQEKYCConfiguration(
                baseURL: fake.baseURL, clientID: SQEKYCFake.clientID,
                clientSecret: SQEKYCFake.clientSecret)
        ).store(stored)
        let r = try request(s, "GET", "/v1/kyc?phone_number=%2B62%20812-3456-7890", auth: adminAuth)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json?["nik"] as? String, "3201234567890001")
        XCTAssertEqual(r.json?["full_name"] as? String, "Siti Rahayu")
        XCTAssertEqual(r.json?["phone_number"] as? String, KYCSample.normalizedPhone)
        XCTAssertEqual(r.json?["id"] as? String, "kyc-1")
        XCTAssertEqual(r.header("Cache-Control"), "no-store")
        let get = try XCTUnwrap(fake.requests().last)
        XCTAssertEqual(get["path"] as? String, "/v1/common-kyc?phone_number=6281234567890")
        XCTAssertEqual((get["headers"] as? [String: String])?["authorization"], SQEKYCFake.basic())
        KYCSample.assertNoPersonalData(s.logLines.all, "the service logs")
        XCTAssertTrue(s.logLines.all.contains("\"actor\":\"admin\""), "who read personal data is logged")

        let missing = try request(s, "GET", "/v1/kyc?phone_number=6289999999999", auth: adminAuth)
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json?["error"] as? String, "not_found")
        XCTAssertEqual(
            try request(s, "GET", "/v1/kyc", auth: adminAuth).json?["error_description"] as? String,
            "Parameter \"phone_number\" is required")
        XCTAssertEqual(try request(s, "GET", "/v1/kyc?phone_number=%2B14155550100", auth: adminAuth).status, 400)
    }

    func testUpstreamFailuresAre502() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake)
        fake.fail([["status": 503], ["status": 422]])
        for _ in 0..<2 {
            let r = try request(s, "GET", "/v1/kyc?phone_number=6281234567890", auth: adminAuth)
            XCTAssertEqual(r.status, 502)
            XCTAssertEqual(r.json?["error"] as? String, "upstream_error")
        }
        let wrong = try service(fake, secret: "nope-nope-777")
        let r = try request(wrong, "GET", "/v1/kyc?phone_number=6281234567890", auth: adminAuth)
        XCTAssertEqual(r.status, 502)
        XCTAssertEqual(r.json?["error_description"] as? String, "SQEKYC refused the configured credentials")
        XCTAssertFalse(r.text.contains("nope-nope-777"))
        XCTAssertFalse(wrong.logLines.all.contains("nope-nope-777"))
    }

    func testAuthenticationMethodsAndKYCOff() throws {
        let fake = try SQEKYCFake()
        let s = try service(fake)
        XCTAssertEqual(try request(s, "POST", "/v1/kyc", body: KYCSample.body, auth: nil).status, 401)
        XCTAssertEqual(try request(s, "GET", "/v1/kyc?phone_number=6281234567890", auth: WebhookRequest.basic("admin", "x")).status, 401)
        let put = try request(s, "PUT", "/v1/kyc", auth: adminAuth)
        XCTAssertEqual(put.status, 405)
        XCTAssertEqual(put.header("Allow"), "GET, POST")
        XCTAssertEqual(try s.count(), 0)
        XCTAssertEqual(fake.requests().count, 0)

        let off = try service(nil)
        XCTAssertEqual(try request(off, "POST", "/v1/kyc", body: KYCSample.body, auth: adminAuth).status, 404)
        XCTAssertEqual(try request(off, "GET", "/v1/jobs", auth: adminAuth).status, 200)
    }
}
