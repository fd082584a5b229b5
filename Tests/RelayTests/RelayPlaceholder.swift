import XCTest

final class RelayPlaceholder: XCTestCase {}
