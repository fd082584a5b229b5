import Foundation
import RelayCore
import SQEKYC
import XCTest

/// KYC records are checked before anything is queued: each error names the field and never
/// echoes the value.
final class SQEKYCRecordValidationTests: XCTestCase {
    /// 2026-11-26T12:00:00Z.
    let now: Int64 = 1_795_694_400_000
    let good: [String: String] = [
        "client_id": "nanovest", "phone_number": "081234567890", "full_name": "Siti Rahayu",
        "nik": "3201234567890001", "date_of_birth": "1990-05-17", "email": "Siti@Example.CO.ID",
    ]

    func body(_ changes: [String: Any?]) -> [UInt8] {
        var o: [String: Any] = good
        for (k, v) in changes { o[k] = v ?? nil }
        for (k, v) in changes where v == nil { o.removeValue(forKey: k) }
        return [UInt8](try! JSONSerialization.data(withJSONObject: o))
    }

    func assertRefused(_ changes: [String: Any?], field: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try KYCRecord.parse(body(changes), defaultClientID: nil, nowMillis: now), file: file, line: line) { e in
            let e = e as! PartnerError
            XCTAssertEqual(e.status, 400, file: file, line: line)
            XCTAssertEqual(e.code, "invalid_request", file: file, line: line)
            XCTAssertTrue(e.errorDescription.hasPrefix("Field \"\(field)\""), e.errorDescription, file: file, line: line)
            for case let v as String in changes.values.compactMap({ $0 }) where v.count > 3 {
                XCTAssertFalse(e.errorDescription.contains(v), "echoes the value: \(e.errorDescription)", file: file, line: line)
            }
            if !text.isEmpty { XCTAssertTrue(e.errorDescription.contains(text), e.errorDescription, file: file, line: line) }
        }
    }

    /// `field` set to each of `values` in turn (nil: left out) is refused, naming the field.
    func assertRefused(_ field: String, _ values: [Any?], _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for v in values { assertRefused([field: v], field: field, text, file: file, line: line) }
    }

    func testAValidRecordIsNormalized() throws {
        let r = try KYCRecord.parse(body([:]), defaultClientID: nil, nowMillis: now)
        XCTAssertEqual(r.phoneNumber, "6281234567890")
        XCTAssertEqual(r.email, "Siti@example.co.id")
        XCTAssertEqual(r.fullName, "Siti Rahayu")
        XCTAssertEqual(r.e164Phone, "+6281234567890")
        XCTAssertEqual(r.maskedPhone, "+62812****7890")
        for phone in ["+62 812-3456-7890", "6281234567890", "0812 3456 7890", "(0812) 3456.7890"] {
            XCTAssertEqual(
                try KYCRecord.parse(body(["phone_number": phone]), defaultClientID: nil, nowMillis: now).phoneNumber,
                "6281234567890", phone)
        }
        XCTAssertEqual(KYCRecord.normalizePhone("62812345678"), "62812345678")
    }

    func testTheClientIDDefaultsToOurs() throws {
        let r = try KYCRecord.parse(body(["client_id": nil]), defaultClientID: "siminvest", nowMillis: now)
        XCTAssertEqual(r.clientID, "siminvest")
        assertRefused(["client_id": nil], field: "client_id", "is required")
        assertRefused(["client_id": "  "], field: "client_id", "is required")
    }

    func testEachFieldIsNamed() {
        assertRefused("nik", ["320123456789000", "32012345678900012", "32012345678900AB"], "must be 16 digits")
        assertRefused("nik", [3201234567890001], "must be a string")
        assertRefused("phone_number", ["+14155550100"], "Indonesian")
        assertRefused("phone_number", ["0812345", "62812345678901234", "nomor", "+62 0812 3456 7890"], "")
        assertRefused("full_name", [" ", nil], "is required")
        assertRefused("full_name", [String(repeating: "a", count: 201)], "at most 200")
        assertRefused("full_name", ["Siti\nRahayu", "Siti\u{0085}Rahayu"], "control characters")
        assertRefused("email", ["siti@"], "email address")
        assertRefused("date_of_birth", ["17-05-1990", "1990-5-17"], "YYYY-MM-DD")
        assertRefused(
            "date_of_birth", ["1990-02-30", "2023-02-29", "2026-11-26", "2030-01-01", "1899-12-31"], "real date in the past")
        XCTAssertNoThrow(try KYCRecord.parse(body(["date_of_birth": "2024-02-29"]), defaultClientID: nil, nowMillis: now))
        XCTAssertNoThrow(try KYCRecord.parse(body(["date_of_birth": "2026-11-25"]), defaultClientID: nil, nowMillis: now))
        let longName = String(repeating: "é", count: 200)
        XCTAssertNoThrow(try KYCRecord.parse(body(["full_name": longName]), defaultClientID: nil, nowMillis: now))
    }

    func testBodiesThatAreNotRecords() {
        XCTAssertThrowsError(try KYCRecord.parse(Array("[1]".utf8), defaultClientID: nil, nowMillis: now)) { e in
            XCTAssertEqual((e as! PartnerError).code, "invalid_request")
        }
        XCTAssertThrowsError(try KYCRecord.parse(body(["nama": "x"]), defaultClientID: nil, nowMillis: now)) { e in
            XCTAssertEqual((e as! PartnerError).errorDescription, "Field \"nama\" is not a KYC field")
        }
        XCTAssertThrowsError(try KYCRecord.parse([UInt8](repeating: 0x20, count: 20_000), defaultClientID: nil, nowMillis: now)) { e in
            XCTAssertEqual((e as! PartnerError).status, 413)
        }
    }

    func testARecordPrintsOnlyTheMaskedPhone() throws {
        let r = try KYCRecord.parse(body([:]), defaultClientID: nil, nowMillis: now)
        for text in [
            String(describing: r), String(reflecting: r), "\(r)",
            {
                var s = ""; dump(r, to: &s); return s
            }(),
        ] {
            XCTAssertTrue(text.contains("+62812****7890"), text)
            for secret in ["3201234567890001", "Siti", "1990-05-17", "6281234567890", "example"] {
                XCTAssertFalse(text.contains(secret), text)
            }
        }
    }

    func testJSONRoundTrip() throws {
        let r = try KYCRecord.parse(body([:]), defaultClientID: nil, nowMillis: now)
        XCTAssertEqual(KYCRecord.decode(Array(r.requestJSON.utf8)), r)
        var stored = r
        stored.id = "kyc-9"
        stored.createdAt = "2026-11-26T00:00:00Z"
        XCTAssertEqual(KYCRecord.decode(Array(stored.json.utf8)), stored)
        XCTAssertNil(KYCRecord.decode(Array(#"{"client_id": "x"}"#.utf8)))
    }
}
