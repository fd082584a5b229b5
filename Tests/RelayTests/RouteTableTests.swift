import Foundation
import XCTest

@testable import Relay

/// `docs/openapi.yaml` and the routers in step: the document's paths and methods are exactly the
/// route table's, and the routers serve exactly the table (each route and method, 405 for the
/// others, 404 for near misses).
final class RouteTableTests: XCTestCase {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    static let httpMethods: Set<String> = ["get", "head", "post", "put", "patch", "delete", "options", "trace"]

    /// "METHOD /path" for every operation under `paths:` (two-space path keys, four-space methods).
    static func documentedOperations() throws -> Set<String> {
        let text = try String(contentsOfFile: document, encoding: .utf8)
        var inPaths = false
        var path: String?
        var out: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if httpMethods.contains(String(key)) { out.insert("\(key.uppercased()) \(path)") }
            }
        }
        return out
    }

    static var tableOperations: Set<String> {
        Set(RouteTable.routes.flatMap { r in r.methods.map { "\($0) \(r.path)" } })
    }

    func testTheDocumentHasEveryRouteAndNoOther() throws {
        let documented = try Self.documentedOperations()
        XCTAssertGreaterThan(documented.count, 20, "the document's paths were not read")
        XCTAssertEqual(documented.subtracting(Self.tableOperations).sorted(), [], "documented but not routed")
        XCTAssertEqual(Self.tableOperations.subtracting(documented).sorted(), [], "routed but not documented")
    }

    static let jobID = "01JD0000000000000000000000"

    static func sample(_ template: String) -> String {
        template.replacingOccurrences(of: "{id}", with: jobID).replacingOccurrences(of: "{path}", with: "admin/x")
            .replacingOccurrences(of: "{provider}", with: "tw")
    }

    func testEveryRouteIsServedByItsListenersRouter() {
        for r in RouteTable.routes {
            let path = Self.sample(r.path)
            XCTAssertEqual(RouteTable.match(r.listener, path)?.route.id, r.id, path)
            for other in RouteTable.Listener.allCases where other != r.listener {
                XCTAssertNil(RouteTable.match(other, path), "\(path) on \(other)")
            }
            for method in RouteTable.anyMethod {
                let served = r.methods.contains(method)
                switch r.listener {
                case .admin where r.id == .kyc:
                    XCTAssertNil(AdminRoute(method: method, path: path), "KYCAdminRoutes answers \(path)")
                case .admin:
                    let route = AdminRoute(method: method, path: path)
                    XCTAssertNotNil(route, "\(method) \(path)")
                    if case .methodNotAllowed = route {
                        XCTAssertFalse(served, "\(method) \(path) refused")
                    } else {
                        XCTAssertTrue(served, "\(method) \(path) served but not in the table")
                    }
                case .auth:
                    XCTAssertNotNil(AuthGatewayHandler.route(path), path)
                case .public:
                    XCTAssertNotNil(RouteTable.match(.public, path), path)
                }
            }
        }
    }

    func testParametersAndNearMisses() {
        XCTAssertEqual(AdminRoute(method: "GET", path: "/v1/jobs/\(Self.jobID)"), .job(Self.jobID))
        XCTAssertEqual(AdminRoute(method: "POST", path: "/v1/jobs/\(Self.jobID)/replay"), .replayOne(Self.jobID))
        XCTAssertEqual(AdminRoute(method: "POST", path: "/v1/jobs/replay"), .replayMany)
        XCTAssertEqual(AdminRoute(method: "GET", path: "/v1/jobs/replay"), .methodNotAllowed("POST"))
        XCTAssertEqual(AdminRoute(method: "HEAD", path: "/v1/stats"), .stats)
        XCTAssertEqual(AdminRoute(method: "DELETE", path: "/v1/stats"), .methodNotAllowed("GET"))
        XCTAssertEqual(AuthGatewayHandler.route("/v1/auth/verify/"), .verify(tail: "/"))
        XCTAssertEqual(AuthGatewayHandler.route("/v1/auth/verify/a//b"), .verify(tail: "/a//b"))
        XCTAssertEqual(AuthGatewayHandler.route("/v1/auth/verify"), .verify(tail: nil))
        for miss in [
            "/v1/jobs/01jd0000000000000000000000", "/v1/jobs/\(Self.jobID)x", "/v1/jobs/", "/v1/jobs/\(Self.jobID)/replay/",
            "/v1/stats/", "//", "/metrics/", "/v1", "/v1/kyc",
        ] {
            XCTAssertNil(AdminRoute(method: "GET", path: miss), miss)
        }
        for miss in ["/v1/auth/verifyx", "/v1/auth/introspect/", "/v1/me/kyc/", "/v1/auth"] {
            XCTAssertNil(AuthGatewayHandler.route(miss), miss)
        }
        for miss in [
            "/v1/webhooks/otp/", "/healthz/", "/", "/v1/webhooks", "/v1/receipts/twilio/a/b", "/v1/receipts/sms/x", "/v1/receipts/meta",
        ] {
            XCTAssertNil(RouteTable.match(.public, miss), miss)
        }
    }
}
