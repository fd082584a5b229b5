import SIMASID

/// The transport the end-to-end token tests use.
enum TestTransport {
    static func make() -> any TokenHTTPTransport { LoopbackTransport() }
}
