// Compiled into every libFuzzer target by scripts/fuzz (`shared_sources_of`); each target defines
// `fuzzOne`, what it checks on one input.

/// libFuzzer's entry point, the same for every target: the input to the target's `fuzzOne`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
