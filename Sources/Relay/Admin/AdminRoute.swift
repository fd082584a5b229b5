/// The admin API's routes, matched through `RouteTable` (`/v1/kyc` is `KYCAdminRoutes`'s).
enum AdminRoute: Equatable {
    case jobs, job(String), replayOne(String), replayMany, stats, metrics, readyz, statusPage
    case methodNotAllowed(String)

    init?(method: String, path: String) {
        guard let m = RouteTable.match(.admin, path) else { return nil }
        // The route's first method is the one it names in Allow; GET also serves HEAD.
        let main = m.route.methods[0]
        func only(_ r: AdminRoute) -> AdminRoute { m.route.methods.contains(method) ? r : .methodNotAllowed(main) }
        switch m.route.id {
        case .statusPage: self = only(.statusPage)
        case .metrics: self = only(.metrics)
        case .readyz: self = only(.readyz)
        case .stats: self = only(.stats)
        case .jobs: self = only(.jobs)
        case .replayMany: self = only(.replayMany)
        case .job: self = only(.job(m.parameter ?? ""))
        case .replayOne: self = only(.replayOne(m.parameter ?? ""))
        default: return nil
        }
    }
}
