import XCTest

final class SIMASIDPlaceholder: XCTestCase {}
