import XCTest

final class DeliveryPlaceholder: XCTestCase {}
