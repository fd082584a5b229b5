import XCTest

final class RelayCryptoPlaceholder: XCTestCase {}
