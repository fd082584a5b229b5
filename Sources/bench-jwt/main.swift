import RelayCore
import SIMASID

// bench-jwt: warm-cache SIMAS-ID access-token verifications per second on the calling thread.
// Driven by scripts/bench-jwt, which mints the token and key set with PyJWT.
#if canImport(Glibc)
import Glibc
#endif

/// Serves one JWKS document from memory, so the benchmark measures verification, not I/O.
struct StaticTransport: TokenHTTPTransport {
    let body: [UInt8]
    func get(_ url: String, headers: [(name: String, value: String)]) throws(TokenTransportError) -> TokenHTTPResponse {
        TokenHTTPResponse(status: 200, headers: [(name: "Cache-Control", value: "max-age=86400")], body: body)
    }
}

func fail(_ message: String) -> Never {
    let line = Array("bench-jwt: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

var options: [String: String] = ["--seconds": "2", "--runs": "3"]
var args = CommandLine.arguments.dropFirst()
while let flag = args.popFirst() {
    guard ["--jwks", "--token", "--issuer", "--client", "--seconds", "--runs"].contains(flag), let value = args.popFirst() else {
        fail("usage: bench-jwt --jwks FILE --token FILE --issuer ISS --client ID [--seconds S] [--runs N]")
    }
    options[flag] = value
}
guard let jwks = options["--jwks"], let tokenFile = options["--token"], let issuer = options["--issuer"],
    let client = options["--client"], let seconds = Double(options["--seconds"]!), let runs = Int(options["--runs"]!), runs > 0
else { fail("missing or invalid options (--jwks, --token, --issuer, --client)") }

let token = String(decoding: readFile(tokenFile), as: UTF8.self).filter { !$0.isWhitespace }
let verifier = TokenVerifier(
    configuration: TokenVerifierConfiguration(issuer: issuer, clientID: client, jwksURI: "memory:jwks"),
    transport: StaticTransport(body: readFile(jwks)))
switch verifier.verify(token) {
case .success: break
case .failure(let e): fail("the benchmark token does not verify: \(e)")
}

/// CPU time of this thread, which other processes on a shared machine cannot inflate.
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` in batches for `seconds` of wall time; returns the count, wall and CPU seconds.
func measure(_ seconds: Double, _ body: () -> Void) -> (count: Int, elapsed: Double, cpu: Double) {
    var count = 0
    let start = monotonicNanos(), cpuStart = threadCPUNanos()
    let deadline = start + UInt64(seconds * 1e9)
    var now = start
    while now < deadline {
        for _ in 0..<256 { body() }
        count += 256
        now = monotonicNanos()
    }
    return (count, Double(now - start) / 1e9, Double(threadCPUNanos() - cpuStart) / 1e9)
}

// Baseline: the libcrypto RS256 verification alone, measured in the same runs, so what parsing
// and the claim checks add is visible even on a noisy machine.
let parts = token.split(separator: ".")
guard parts.count == 3, let kid = try? headerKeyID(parts[0]), let key = try? verifier.keys.key(for: kid).get(),
    let signature = try? Base64URL.decode(Array(parts[2].utf8))
else { fail("cannot split the benchmark token") }
let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))

print("run  verifications  wall s  verifications/s  per CPU-second  us/verification  rs256-only/s  rs256-only us")
var rates: [Double] = [], cpuRates: [Double] = [], rsaRates: [Double] = []
for run in 1...runs {
    let (count, elapsed, cpu) = measure(seconds) {
        guard case .success = verifier.verify(token) else { fail("a warm verification failed") }
    }
    let (rsaCount, rsaElapsed, _) = measure(seconds / 2) {
        guard key.verifyRS256(signature: signature, message: signingInput) else { fail("baseline verification failed") }
    }
    let rate = Double(count) / elapsed, cpuRate = Double(count) / cpu, rsaRate = Double(rsaCount) / rsaElapsed
    rates.append(rate)
    cpuRates.append(cpuRate)
    rsaRates.append(rsaRate)
    print(
        String(run).padding(5) + String(count).padding(15) + format(elapsed, 2).padding(8) + format(rate, 0).padding(17)
            + format(cpuRate, 0).padding(16) + format(1e6 / rate, 2).padding(17) + format(rsaRate, 0).padding(14)
            + format(1e6 / rsaRate, 2))
}
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
print(
    "median: \(format(median(rates), 0)) verifications/s on one thread (\(format(median(cpuRates), 0)) per CPU-second; "
        + "RS256, \(key.bits)-bit key, warm cache, token \(token.utf8.count) bytes); RS256 alone \(format(median(rsaRates), 0))/s")
print(
    "BENCH jwt_verify median_per_sec=\(Int(median(rates))) median_per_cpu_sec=\(Int(median(cpuRates))) runs=\(runs) "
        + "seconds_per_run=\(options["--seconds"]!) min_per_sec=\(Int(rates.min()!)) max_per_sec=\(Int(rates.max()!)) "
        + "rs256_only_median_per_sec=\(Int(median(rsaRates))) token_bytes=\(token.utf8.count) key_bits=\(key.bits)")

/// The header's kid, through the same strict decoder.
func headerKeyID(_ header: Substring) throws -> String {
    let json = String(decoding: try Base64URL.decode(Array(header.utf8)), as: UTF8.self)
    guard let r = json.firstRange(of: "\"kid\":\"") else { fail("no kid in the benchmark token") }
    return String(json[r.upperBound...].prefix(while: { $0 != "\"" }))
}

func format(_ v: Double, _ decimals: Int) -> String {
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (v * p).rounded() / p
    if decimals == 0 { return String(Int(r)) }
    let whole = Int(r), frac = Int(((r - Double(whole)) * p).rounded())
    let f = String(frac)
    return "\(whole).\(String(repeating: "0", count: max(0, decimals - f.count)))\(f)"
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(1, width - count)) }
}
