import Foundation
import RelayCore
import RelayTestSupport
import SQEKYC
import XCTest

/// The SQEKYC client against the loopback fake: exact requests, the documented answers (with the
/// partner's "sucess"), and the classification of every failure.
final class SQEKYCClientTests: XCTestCase {
    let record = KYCRecord(
        clientID: "nanovest", phoneNumber: "6281234567890", fullName: "Siti Rahayu",
        nik: "3201234567890001", dateOfBirth: "1990-05-17", email: "siti@example.co.id")

    func client(_ fake: SQEKYCFake, secret: String = SQEKYCFake.clientSecret, timeoutMillis: Int = 5_000) -> SQEKYCClient {
        SQEKYCClient(
            configuration: SQEKYCConfiguration(
                baseURL: fake.baseURL + "/", clientID: SQEKYCFake.clientID,
                clientSecret: secret, timeoutMillis: timeoutMillis))
    }

    func testStoreSendsTheDocumentedRequest() throws {
        let fake = try SQEKYCFake()
        let meta = try client(fake).store(record)
        XCTAssertEqual(meta.status, "sucess")
        XCTAssertEqual(meta.message, "store common kyc data success")
        XCTAssertTrue(meta.id.hasPrefix("req-"))
        let r = try XCTUnwrap(fake.requests().first)
        XCTAssertEqual(fake.requests().count, 1)
        XCTAssertEqual(r["method"] as? String, "POST")
        XCTAssertEqual(r["path"] as? String, "/v1/common-kyc")
        let headers = try XCTUnwrap(r["headers"] as? [String: String])
        XCTAssertEqual(headers["authorization"], SQEKYCFake.basic())
        XCTAssertEqual(headers["content-type"], "application/json")
        XCTAssertEqual(
            r["body"] as? String,
            #"{"client_id":"nanovest","phone_number":"6281234567890","full_name":"Siti Rahayu","nik":"3201234567890001","#
                + #""date_of_birth":"1990-05-17","email":"siti@example.co.id"}"#
        )
    }

    func testFetchReadsTheStoredRecordBack() throws {
        let fake = try SQEKYCFake()
        let c = client(fake)
        _ = try c.store(record)
        let back = try XCTUnwrap(try c.fetch(phoneNumber: "0812-3456-7890"))
        XCTAssertEqual(back.clientID, record.clientID)
        XCTAssertEqual(back.phoneNumber, record.phoneNumber)
        XCTAssertEqual(back.fullName, record.fullName)
        XCTAssertEqual(back.nik, record.nik)
        XCTAssertEqual(back.dateOfBirth, record.dateOfBirth)
        XCTAssertEqual(back.email, record.email)
        XCTAssertEqual(back.id, "kyc-1")
        XCTAssertNotNil(back.createdAt)
        let get = try XCTUnwrap(fake.requests().last)
        XCTAssertEqual(get["method"] as? String, "GET")
        XCTAssertEqual(get["path"] as? String, "/v1/common-kyc?phone_number=6281234567890")
        XCTAssertEqual(get["body"] as? String, "")
        XCTAssertEqual((get["headers"] as? [String: String])?["authorization"], SQEKYCFake.basic())
    }

    func testUnknownPhoneNumberIsNil() throws {
        let fake = try SQEKYCFake()
        XCTAssertNil(try client(fake).fetch(phoneNumber: "6289999999999"))
    }

    func testSuccessDoesNotDependOnTheStatusWord() throws {
        let fake = try SQEKYCFake()
        let c = client(fake)
        for word in ["success", "OK", "sucess"] {
            fake.control(["spelling": word])
            XCTAssertEqual(try c.store(record).status, word)
            XCTAssertNotNil(try c.fetch(phoneNumber: record.phoneNumber))
        }
        // A 2xx without a well-formed meta is not a success, whatever else it holds.
        fake.fail([["status": 200, "raw": "<html>proxy</html>"], ["status": 200, "raw": #"{"meta": {"message": "x"}}"#]])
        for _ in 0..<2 {
            XCTAssertThrowsError(try c.store(record)) { e in
                let e = e as! SQEKYCError
                XCTAssertEqual(e.classification, .retryable)
                XCTAssertEqual(e.errorClass, "sqekyc_malformed_response")
            }
        }
    }

    func testRefusedCredentialsArePermanentAndNamed() throws {
        let fake = try SQEKYCFake()
        let wrong = "not-the-secret-4242"
        XCTAssertThrowsError(try client(fake, secret: wrong).store(record)) { e in
            let e = e as! SQEKYCError
            XCTAssertEqual(e.classification, .credentials)
            XCTAssertEqual(e.httpStatus, 401)
            XCTAssertFalse(e.isRetryable)
            XCTAssertTrue(e.description.contains("credentials"), e.description)
            XCTAssertTrue(e.description.contains("client_secret"), e.description)
            XCTAssertFalse(e.description.contains(wrong))
            XCTAssertFalse(e.description.contains(SQEKYCFake.clientSecret))
        }
        XCTAssertThrowsError(try client(fake, secret: wrong).fetch(phoneNumber: record.phoneNumber)) { e in
            XCTAssertEqual((e as! SQEKYCError).classification, .credentials)
        }
    }

    func testValidationAnswersArePermanent() throws {
        let fake = try SQEKYCFake()
        fake.fail([["status": 422, "message": "nik already registered"], ["status": 400]])
        for status in [422, 400] {
            XCTAssertThrowsError(try client(fake).store(record)) { e in
                let e = e as! SQEKYCError
                XCTAssertEqual(e.classification, .permanent)
                XCTAssertEqual(e.httpStatus, status)
                XCTAssertEqual(e.errorClass, "sqekyc_rejected")
                XCTAssertNotNil(e.requestID)
                XCTAssertFalse(e.description.contains(self.record.nik))
            }
        }
    }

    func testServerErrorsAreRetryableAndHonourRetryAfter() throws {
        let fake = try SQEKYCFake()
        fake.fail([
            ["status": 503, "retry_after": "2"], ["status": 429, "retry_after": "Sun, 06 Nov 1994 08:49:37 GMT"],
            ["status": 500],
        ])
        let expected: [(Int, Int64?)] = [(503, 2_000), (429, 0), (500, nil)]
        for (status, retryAfter) in expected {
            XCTAssertThrowsError(try client(fake).store(record)) { e in
                let e = e as! SQEKYCError
                XCTAssertEqual(e.classification, .retryable)
                XCTAssertEqual(e.httpStatus, status)
                XCTAssertEqual(e.retryAfterMillis, retryAfter)
                XCTAssertEqual(e.errorClass, "sqekyc_http_\(status)")
            }
        }
        XCTAssertEqual(try client(fake).store(record).status, "sucess")
    }

    func testTimeoutsAndConnectFailuresAreRetryable() throws {
        let fake = try SQEKYCFake()
        fake.fail([["delay_ms": 1_500]])
        XCTAssertThrowsError(try client(fake, timeoutMillis: 300).store(record)) { e in
            let e = e as! SQEKYCError
            XCTAssertEqual(e.classification, .retryable)
            XCTAssertEqual(e.errorClass, "transport_timeout")
            XCTAssertNil(e.httpStatus)
        }
        let closed = SQEKYCClient(configuration: SQEKYCConfiguration(baseURL: "http://127.0.0.1:1", clientID: "a", clientSecret: "b"))
        XCTAssertThrowsError(try closed.fetch(phoneNumber: record.phoneNumber)) { e in
            XCTAssertEqual((e as! SQEKYCError).classification, .retryable)
        }
        // Plain http to anything but loopback is refused before sending: a configuration problem.
        let remote = SQEKYCClient(configuration: SQEKYCConfiguration(baseURL: "http://sqekyc.example", clientID: "a", clientSecret: "b"))
        XCTAssertThrowsError(try remote.store(record)) { e in
            XCTAssertEqual((e as! SQEKYCError).classification, .permanent)
        }
    }

    func testPresetsAndEndpoint() {
        XCTAssertEqual(SQEKYCEnvironment.sandbox.baseURL, "https://sqekyc.stg.squantumengine.com")
        XCTAssertEqual(SQEKYCEnvironment.production.baseURL, "https://sqekyc.squantumengine.com")
        let c = SQEKYCConfiguration(environment: .production, clientID: "siminvest", clientSecret: "hush-123")
        XCTAssertEqual(c.endpoint, "https://sqekyc.squantumengine.com/v1/common-kyc")
        XCTAssertFalse(c.description.contains("hush-123"))
        XCTAssertEqual(SQEKYCConfiguration.defaultTimeoutMillis, c.timeoutMillis)
    }

    func testFetchRefusesANumberThatIsNotIndonesian() throws {
        let fake = try SQEKYCFake()
        XCTAssertThrowsError(try client(fake).fetch(phoneNumber: "+14155550100")) { e in
            XCTAssertEqual((e as! SQEKYCError).classification, .permanent)
        }
        XCTAssertEqual(fake.requests().count, 0)
    }
}
