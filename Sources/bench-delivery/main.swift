// bench-delivery: the load side of scripts/bench-delivery. One process runs a fake SMS gateway (on
// the project's own HTTPServer: epoll, thousands of connections; answering at once or after
// --delay-ms, a provider's latency) and, for the latency run, a paced webhook client, so "POST
// started", "accepted" and "received" are read from one monotonic clock.
//
//   bench-delivery latency --target PORT --auth HEADER --rate 1000 --seconds 30 --provider-port PORT [--delay-ms N]
//   bench-delivery drain   --provider-port PORT --expect N --timeout SECONDS [--delay-ms N]
//   bench-delivery gateway --provider-port PORT   (prints READY; a line on stdin prints COUNT n duplicates d)
//   bench-delivery fill    --target PORT --auth HEADER --count N --connections 32
import Foundation
import HTTPServer
import Synchronization

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func arg(_ name: String, _ def: String? = nil) -> String {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count { return a[i + 1] }
    guard let def else { FileHandle.standardError.write(Data("bench-delivery: \(name) is required\n".utf8)); exit(2) }
    return def
}

/// A blocking keep-alive client connection.
final class Client {
    let fd: Int32
    var buf = [UInt8](repeating: 0, count: 65536)
    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, 16) } }
        if rc != 0 { perror("connect"); exit(1) }
    }
    /// Sends one webhook and returns the job id of a 200 (nil otherwise).
    func post(auth: String, identifier: String, otp: String) -> String? {
        let body = "{\"identifier\":\"\(identifier)\",\"otp\":\"\(otp)\",\"channel\":\"sms\"}"
        let req =
            "POST /v1/webhooks/otp HTTP/1.1\r\nHost: b\r\nAuthorization: \(auth)\r\nContent-Type: application/json\r\nContent-Length: "
            + "\(body.utf8.count)\r\n\r\n\(body)"
        var bytes = Array(req.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeMutableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return nil }
            off += n
        }
        var got: [UInt8] = []
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            got += buf[0..<n]
            if let r = String(decoding: got, as: UTF8.self).range(of: "\r\n\r\n") {
                let text = String(decoding: got, as: UTF8.self)
                let head = text[..<r.lowerBound]
                let len =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let bodyText = text[r.upperBound...]
                if bodyText.utf8.count < len { continue }
                guard head.hasPrefix("HTTP/1.1 200"), let idr = bodyText.range(of: "\"id\":\"") else { return nil }
                return String(bodyText[idr.upperBound...].prefix(26))
            }
        }
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((p / 100) * Double(sorted.count - 1) + 0.5))]
}

let mode = CommandLine.arguments.dropFirst().first ?? ""
switch mode {
case "latency":
    let target = Int(arg("--target"))!, auth = arg("--auth"), rate = Int(arg("--rate", "1000"))!
    let seconds = Int(arg("--seconds", "30"))!, conns = Int(arg("--connections", "16"))!
    let (server, gw) = startGateway(port: Int(arg("--provider-port"))!, delayMillis: Int(arg("--delay-ms", "0"))!)
    let accepted = Mutex<[String: (posted: UInt64, accepted: UInt64)]>([:])
    let total = rate * seconds
    let start = now() + 100_000_000
    let interval = 1_000_000_000 / UInt64(rate)
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: conns) { _ in
        let c = Client(port: target)
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= total { break }
            let due = start + UInt64(i) * interval
            let t = now()
            if due > t { usleep(UInt32((due - t) / 1000)) }
            let seq = UInt64(Date().timeIntervalSince1970 * 1000) % 100_000
            let posted = now()
            if let id = c.post(
                auth: auth, identifier: String(format: "0857%08d", (Int(seq) * 7919 + i) % 100_000_000),
                otp: String(format: "%06d", i % 1_000_000))
            {
                let at = now()
                accepted.withLock { $0[id] = (posted, at) }
            }
        }
    }
    let ids = accepted.withLock { $0 }
    let deadline = now() + 10_000_000_000
    while gw.count.load(ordering: .relaxed) < ids.count && now() < deadline { usleep(10_000) }
    let recv = gw.received.withLock { $0 }
    // From the 200 reaching the client, and from the moment the client started its POST (the
    // webhook's commit included), to the gateway receiving the message; and the webhook's own 200.
    var lat: [Double] = [], full: [Double] = [], webhook: [Double] = []
    for (id, a) in ids {
        webhook.append(Double(a.accepted - a.posted) / 1e6)
        if let r = recv[id] {
            lat.append(Double(Int64(r) - Int64(a.accepted)) / 1e6)
            full.append(Double(Int64(r) - Int64(a.posted)) / 1e6)
        }
    }
    lat.sort()
    full.sort()
    webhook.sort()
    server.shutdown(by: .now + .milliseconds(100))
    print(
        String(
            format: "BENCH_LATENCY accepted=%d delivered=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
                + "post_p50_ms=%.3f post_p99_ms=%.3f post_max_ms=%.3f webhook_p50_ms=%.3f webhook_p99_ms=%.3f duplicates=%d",
            ids.count, lat.count, percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), lat.last ?? .nan,
            percentile(full, 50), percentile(full, 99), full.last ?? .nan, percentile(webhook, 50), percentile(webhook, 99),
            gw.duplicates.load(ordering: .relaxed)))
case "fill":
    let target = Int(arg("--target"))!, auth = arg("--auth"), count = Int(arg("--count"))!, conns = Int(arg("--connections", "32"))!
    let next = Atomic<Int>(0), ok = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: conns) { _ in
        let c = Client(port: target)
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= count { break }
            if c.post(auth: auth, identifier: String(format: "0858%08d", i), otp: String(format: "%06d", i % 1_000_000)) != nil {
                ok.add(1, ordering: .relaxed)
            }
        }
    }
    print("BENCH_FILL accepted=\(ok.load(ordering: .relaxed))")
case "drain":
    let expect = Int(arg("--expect"))!, timeout = Double(arg("--timeout", "120"))!
    let (server, gw) = startGateway(port: Int(arg("--provider-port"))!, delayMillis: Int(arg("--delay-ms", "0"))!)
    print("READY", terminator: "\n")
    fflush(nil)
    let begin = now()
    var first: UInt64 = 0
    while gw.count.load(ordering: .relaxed) < expect && Double(now() - begin) / 1e9 < timeout {
        if first == 0 && gw.count.load(ordering: .relaxed) > 0 { first = now() }
        usleep(2_000)
    }
    let last = gw.received.withLock { $0.values.max() ?? now() }
    let n = gw.count.load(ordering: .relaxed)
    let secs = Double(last - (first == 0 ? begin : first)) / 1e9
    server.shutdown(by: .now + .milliseconds(100))
    // The gateway's own CPU (it shares the cores with the service): per delivered job.
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let cpuMicros = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    print(
        String(
            format: "BENCH_DRAIN delivered=%d seconds=%.3f jobs_per_s=%.0f duplicates=%d gateway_cpu_us_per_job=%.1f", n, secs,
            Double(n) / max(secs, 1e-9), gw.duplicates.load(ordering: .relaxed), cpuMicros / Double(max(n, 1))))
case "gateway":
    let (server, gw) = startGateway(port: Int(arg("--provider-port"))!, delayMillis: Int(arg("--delay-ms", "0"))!)
    print("READY")
    fflush(nil)
    while readLine() != nil {
        print("COUNT \(gw.count.load(ordering: .relaxed)) duplicates \(gw.duplicates.load(ordering: .relaxed))")
        fflush(nil)
    }
    server.shutdown(by: .now + .milliseconds(100))
default:
    FileHandle.standardError.write(Data("usage: bench-delivery latency|fill|drain|gateway …\n".utf8))
    exit(2)
}
