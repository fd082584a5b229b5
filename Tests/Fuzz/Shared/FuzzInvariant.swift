// Compiled into every libFuzzer target by scripts/fuzz (`shared_sources_of`); each target defines
// `fuzzTargetName`, the name its violations are reported under.
#if canImport(Glibc)
import Glibc
#endif

/// Aborts with `INVARIANT VIOLATED (<target>): <what>` on standard error when `ok` is false, so
/// libFuzzer records the input as a crash.
func require(_ ok: @autoclosure () -> Bool, _ what: StaticString) {
    if !ok() {
        let line = "INVARIANT VIOLATED (\(fuzzTargetName)): \(what)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        abort()
    }
}
