import Foundation
import RelayTestSupport
import XCTest

/// `otp-relay keys rotate --stage` / `--promote` on the real binary: two nodes with their own key
/// files share one real PostgreSQL (`PostgresServer`), webhooks go to both nodes between every step,
/// and each node is restarted one by one in each round. Every job is delivered (sandbox), none ends
/// dead, a staged node opens (and sends) what a promoted node sealed, never re-seals it back, and the
/// last promoted start re-seals what was left under the old key. Without the staged round, a node
/// still on the old ring cannot open a job sealed by a promoted node: it ends dead, and is replayable
/// once the node holds the key.
final class KeyRotationTwoNodesEndToEndTests: XCTestCase {
    static let keyA = KeyRotationEndToEndTests.keyA

    /// Two nodes' directories (key file, sandbox file, logs) on one database.
    struct Pair {
        let server: PostgresServer
        let url: String
        let dir: TempDirectory
        var posted: [(id: String, otp: String)] = []

        func nodeDir(_ n: String) -> String { dir.file(n) }
        func keyFile(_ n: String) -> String { dir.file(n) + "/data-key" }
        func rows(_ sql: String) throws -> [String] { try server.query(url, sql) }

        func environment(_ n: String, deliver: Bool) -> [String: String] {
            var env = CrashRecoveryTests.environment(dir)
            env["OTP_RELAY_DATA_KEY"] = nil
            env["OTP_RELAY_DATA_KEY_FILE"] = keyFile(n)
            env["OTP_RELAY_DB"] = nodeDir(n) + "/unused.sqlite"
            env["OTP_RELAY_DATABASE_URL"] = url
            env["OTP_RELAY_SANDBOX_FILE"] = nodeDir(n) + "/sandbox.jsonl"
            env["OTP_RELAY_CONFIG"] = dir.file(deliver ? "deliver.json" : "accept.json")
            return env
        }

        func start(_ n: String, deliver: Bool) throws -> ServiceProcess {
            let p = try ServiceProcess(environment: environment(n, deliver: deliver), directory: nodeDir(n))
            try p.waitUntilListening()
            return p
        }

        func keys(_ n: String, _ args: [String]) throws -> (Int32, String, String) {
            try runCommand(ServiceProcess.binary, ["keys"] + args, environment: environment(n, deliver: false))
        }

        /// Two new OTPs to each node.
        mutating func post(_ nodes: ServiceProcess...) throws {
            for p in nodes {
                let c = try RawConnection(port: p.publicPort)
                for _ in 0..<2 {
                    let n = posted.count
                    let otp = String(format: "7%05d", n)
                    let id = try CrashRecoveryTests.postOTP(c, identifier: String(format: "0815%08d", n), otp: otp, channel: "sms")
                    posted.append((id, otp))
                }
            }
        }

        /// The 12-byte headers (`4f4b5201` + key id) of the queued and dead jobs' payloads.
        func headers() throws -> [String] {
            try rows("SELECT encode(substr(payload, 1, 12), 'hex') FROM jobs WHERE status IN ('queued', 'dead') ORDER BY id")
        }

        func waitUntil(_ seconds: Double = 20, _ done: () throws -> Bool) throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try done() { return true }
                usleep(100_000)
            }
            return try done()
        }

        /// The job count of each status, as `status|n`.
        func statuses() throws -> [String] { try rows("SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status") }

        /// The statuses and headers, for a failure's message.
        func describe() -> String {
            "statuses \((try? statuses()) ?? []), headers \((try? headers()) ?? [])"
        }

        /// Every OTP posted, in one of the two sandbox files.
        func sandboxes() -> String {
            ["a", "b"].map { (try? String(contentsOfFile: nodeDir($0) + "/sandbox.jsonl", encoding: .utf8)) ?? "" }.joined()
        }
    }

    private func pair() throws -> Pair {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let dir = TempDirectory()
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("deliver.json")))
        try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("accept.json")))
        let p = Pair(server: server, url: try server.createDatabase(prefix: "keys"), dir: dir)
        for n in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: p.nodeDir(n), withIntermediateDirectories: true)
            try write(Data((Self.keyA + "\n").utf8), p.keyFile(n))
        }
        return p
    }

    private func write(_ data: Data, _ path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// The words of the output line starting with `prefix`.
    private func line(_ out: String, _ prefix: [String]) throws -> [String] {
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        return try XCTUnwrap(lines.first { $0.starts(with: prefix) }, out)
    }

    func testTwoRoundsOnTwoNodesDeliverEveryJobAndResealTheOldOnes() throws {
        var c = try pair()
        // Round 0: both nodes on key A, accepting only (the jobs stay queued under A).
        var a = try c.start("a", deliver: false)
        var b = try c.start("b", deliver: false)
        try c.post(a, b)
        let (_, shown, _) = try c.keys("a", ["show"])
        let fpA = try line(shown, ["current"])[1]
        let underA = "4f4b5201" + fpA.prefix(16)
        XCTAssertEqual(try c.headers(), Array(repeating: underA, count: 4))

        // Round 1: stage on A's file, the same file on B, restart both one by one.
        let (status, staged, err) = try c.keys("a", ["rotate", "--stage"])
        XCTAssertEqual(status, 0, err)
        let next = try line(staged, ["staged", "key"])
        let (fpN, idN) = (next[2], next[5])
        XCTAssertEqual(idN, String(fpN.prefix(16)))
        XCTAssertEqual(try line(staged, ["current", "key"])[2], fpA, "current unchanged")
        let file = try Data(contentsOf: URL(fileURLWithPath: c.keyFile("a")))
        for key in String(decoding: file, as: UTF8.self).components(separatedBy: "\"") where key.count == 44 {
            XCTAssertFalse(staged.contains(key), "no key is printed")
        }
        let again = try c.keys("a", ["rotate", "--stage"])
        XCTAssertNotEqual(again.0, 0)
        XCTAssertTrue(again.2.contains("already has a staged key"), again.2)
        try write(file, c.keyFile("b"))
        XCTAssertEqual(a.terminate(), 0)
        a = try c.start("a", deliver: false)
        XCTAssertTrue(a.stderr.contains(#""staged":"\#(idN)""#), a.stderr)
        try c.post(a, b)
        XCTAssertEqual(b.terminate(), 0)
        b = try c.start("b", deliver: false)
        try c.post(a, b)
        XCTAssertEqual(try c.headers(), Array(repeating: underA, count: 12), "a staged key never seals")
        XCTAssertEqual(try c.rows("SELECT fingerprint FROM data_keys"), [fpA])
        let (_, shownStaged, _) = try c.keys("b", ["show"])
        XCTAssertTrue(shownStaged.contains("staged    \(fpN)  key id \(idN) 0 job(s)  (opens, never seals)"), shownStaged)

        // Round 2: promote A's copy and restart A: it seals under N and re-seals the queued jobs
        // under N.
        XCTAssertEqual(try c.keys("a", ["rotate", "--promote"]).0, 0)
        let underN = "4f4b5201" + idN
        XCTAssertEqual(a.terminate(), 0)
        a = try c.start("a", deliver: false)
        XCTAssertTrue(try c.waitUntil { try c.headers() == Array(repeating: underN, count: 12) }, c.describe())
        XCTAssertEqual(try c.rows("SELECT fingerprint FROM data_keys"), [fpN])
        // B still runs the staged file: it seals under A, A under N.
        try c.post(a, b)
        XCTAssertEqual(Set(try c.headers()), [underA, underN])

        // B crashes and comes back on its staged file (it was not promoted yet): its start accepts
        // the database's key N, does not record A over it and does not re-seal N's jobs back to A.
        b.killNow()
        b = try c.start("b", deliver: false)
        XCTAssertTrue(try c.waitUntil { b.stderr.contains("re-sealed under the current data key") }, b.stderr)
        XCTAssertEqual(try c.headers().filter { $0 == underN }.count, 14, "N's jobs stay under N")
        XCTAssertEqual(try c.rows("SELECT fingerprint FROM data_keys"), [fpN])
        // Now delivering on the staged ring: it opens and sends every job, N's included.
        XCTAssertEqual(b.terminate(), 0)
        b = try c.start("b", deliver: true)
        try c.post(a, b)
        XCTAssertTrue(try c.waitUntil { try c.statuses() == ["sent|\(c.posted.count)"] }, c.describe())

        // B's copy promotes to the same file as A's; B restarts on it, then A, delivering too.
        let (pStatus, promoted, pErr) = try c.keys("b", ["rotate", "--promote"])
        XCTAssertEqual(pStatus, 0, pErr)
        XCTAssertEqual(try line(promoted, ["new", "current", "key"])[3], fpN)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: c.keyFile("a"))), try Data(contentsOf: URL(fileURLWithPath: c.keyFile("b"))))
        try c.post(a, b)
        XCTAssertEqual(b.terminate(), 0)
        try c.post(a)
        b = try c.start("b", deliver: true)
        try c.post(a, b)
        XCTAssertEqual(a.terminate(), 0)
        try c.post(b)
        a = try c.start("a", deliver: true)
        try c.post(a, b)
        XCTAssertTrue(try c.waitUntil { try c.statuses() == ["sent|\(c.posted.count)"] }, c.describe())
        XCTAssertEqual(Set(c.posted.map(\.id)).count, c.posted.count)
        let sandbox = c.sandboxes()
        for job in c.posted { XCTAssertTrue(sandbox.contains(job.otp), "\(job.otp) delivered") }
        XCTAssertEqual(try c.rows("SELECT count(*) FROM attempts WHERE error_class IS NOT NULL"), ["0"], "no failed attempt")
        XCTAssertEqual(
            try c.rows("SELECT (SELECT fingerprint FROM data_keys), (SELECT fingerprint FROM data_key_index)"), ["\(fpN)|\(fpA)"])
        let (_, shownEnd, _) = try c.keys("a", ["show"])
        XCTAssertTrue(shownEnd.contains("current   \(fpN)"), shownEnd)
        XCTAssertTrue(shownEnd.contains("previous  \(fpA)"), shownEnd)
        XCTAssertFalse(shownEnd.contains("staged"), shownEnd)
        XCTAssertEqual(a.terminate(), 0)
        XCTAssertEqual(b.terminate(), 0)
    }

    /// Why the staged round: B keeps running on the old ring while A rotates at once (plain
    /// `keys rotate`) and restarts; B claims A's new jobs, cannot open them and marks them dead
    /// (never sent). Once B holds the key, a replay sends them.
    func testWithoutTheStagedRoundANodeOnTheOldRingCannotOpenAPromotedNodesJobs() throws {
        var c = try pair()
        var a = try c.start("a", deliver: false)
        var b = try c.start("b", deliver: true)
        XCTAssertEqual(try c.keys("a", ["rotate"]).0, 0)
        XCTAssertEqual(a.terminate(), 0)
        a = try c.start("a", deliver: false)
        try c.post(a)
        XCTAssertTrue(try c.waitUntil { try c.statuses() == ["dead|2"] }, c.describe())
        XCTAssertEqual(try c.rows("SELECT DISTINCT error_class FROM attempts"), ["payload_unreadable"])
        XCTAssertTrue(b.stderr.contains("outbox payload unreadable"), b.stderr)
        XCTAssertFalse(c.sandboxes().contains(c.posted[0].otp), "never sent")

        // B gets A's ring and restarts; the dead jobs replay and are sent.
        try write(try Data(contentsOf: URL(fileURLWithPath: c.keyFile("a"))), c.keyFile("b"))
        XCTAssertEqual(b.terminate(), 0)
        b = try c.start("b", deliver: true)
        let (status, out, err) = try runCommand(
            ServiceProcess.binary, ["jobs", "replay", "--status", "dead", "--reason", "key ring fixed"],
            environment: c.environment("b", deliver: true))
        XCTAssertEqual(status, 0, out + err)
        XCTAssertTrue(try c.waitUntil { try c.statuses() == ["sent|2"] }, c.describe())
        for job in c.posted { XCTAssertTrue(c.sandboxes().contains(job.otp), "\(job.otp) delivered after the replay") }
        XCTAssertEqual(a.terminate(), 0)
        XCTAssertEqual(b.terminate(), 0)
    }
}
