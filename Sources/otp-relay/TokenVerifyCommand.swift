import SIMASID

#if canImport(Glibc)
import Glibc
#endif

/// `otp-relay token verify TOKEN|-` (see `TokenVerifyCLI` for the flags and exit statuses): wires
/// the library command to the process's stdin, stdout and stderr.
enum TokenVerifyCommand {
    static func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        let cli = TokenVerifyCLI(
            readStandardInput: readStandardInput, standardOutput: { write(1, $0) },
            standardError: { write(2, $0) })
        return cli.run(arguments, environment: environment)
    }

    /// Up to 64 KiB: more than any token, and the verifier reports the size.
    private static func readStandardInput() -> String? {
        var bytes = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65_536 {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One whole line per write(2).
    private static func write(_ fd: Int32, _ text: String) {
        let bytes = Array((text + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}
