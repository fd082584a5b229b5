import SIMASID

/// The transport the end-to-end token tests use: the production one, libcurl over loopback.
/// (`LoopbackTransport` only drives the fake IdP's control endpoints.)
enum TestTransport {
    static func make() -> any TokenHTTPTransport { HTTPClientTokenTransport() }
}
