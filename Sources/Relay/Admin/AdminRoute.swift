/// The admin API's routes.
enum AdminRoute: Equatable {
    case jobs, job(String), replayOne(String), replayMany, stats, metrics, readyz, statusPage
    case methodNotAllowed(String)

    init?(method: String, path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func only(_ m: String, _ r: AdminRoute) -> AdminRoute { method == m || (m == "GET" && method == "HEAD") ? r : .methodNotAllowed(m) }
        switch parts {
        case ["", ""]: self = only("GET", .statusPage)
        case ["", "metrics"]: self = only("GET", .metrics)
        case ["", "readyz"]: self = only("GET", .readyz)
        case ["", "v1", "stats"]: self = only("GET", .stats)
        case ["", "v1", "jobs"]: self = only("GET", .jobs)
        case ["", "v1", "jobs", "replay"]: self = only("POST", .replayMany)
        case let p where p.count == 4 && p[1] == "v1" && p[2] == "jobs" && Self.validID(p[3]):
            self = only("GET", .job(p[3]))
        case let p where p.count == 5 && p[1] == "v1" && p[2] == "jobs" && Self.validID(p[3]) && p[4] == "replay":
            self = only("POST", .replayOne(p[3]))
        default: return nil
        }
    }

    static func validID(_ s: String) -> Bool {
        s.utf8.count == 26 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    }
}
