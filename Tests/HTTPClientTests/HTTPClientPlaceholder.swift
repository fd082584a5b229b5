import XCTest

final class HTTPClientPlaceholder: XCTestCase {}
