import XCTest

final class OutboxPlaceholder: XCTestCase {}
