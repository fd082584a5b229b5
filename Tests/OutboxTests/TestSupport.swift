import Foundation
import RelayCore
import RelayCrypto
import XCTest

@testable import Outbox

/// A fresh temporary directory per test, removed afterwards.
final class TempDatabase {
    let directory: String
    var path: String { directory + "/outbox.sqlite" }

    init() {
        directory = NSTemporaryDirectory() + "outbox-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The bytes of the database file and its WAL.
    func fileBytes() -> [UInt8] {
        var all: [UInt8] = []
        for suffix in ["", "-wal", "-journal"] {
            if let d = FileManager.default.contents(atPath: path + suffix) { all += [UInt8](d) }
        }
        return all
    }
}

let testKey = try! DataKey(bytes: [UInt8](repeating: 7, count: 32))
let start: Int64 = 1_800_000_000_000

func makeOutbox(
    _ db: TempDatabase, clock: ManualClock = ManualClock(start), options: OutboxOptions = OutboxOptions(),
    key: DataKey = testKey
) throws -> SQLiteOutbox {
    try SQLiteOutbox(path: db.path, dataKey: key, clock: clock, logger: .silent, options: options)
}

func otpJob(
    phone: String = "+6284512340987", otp: String = "482915", channel: Channel = .whatsapp,
    at now: Int64 = start, window: Int64 = 60_000, validity: Int64 = 300_000, dedupe: Bool = true
) -> NewJob {
    let dedupeKey = dedupe ? testKey.derive(label: "dedupe").hmac("\(channel.rawValue)|\(phone)|\(otp)") : nil
    return NewJob.otp(
        channel: channel, recipient: phone, recipientHash: testKey.derive(label: "recipient").hmac(phone),
        otp: otp, dedupeKey: dedupeKey, dedupeWindow: .milliseconds(window), createdAt: now,
        expiresAt: now + validity)
}

extension [UInt8] {
    func hmac(_ s: String) -> [UInt8] { Crypto.hmacSHA256(key: self, data: Array(s.utf8)) }

    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { n in
                for i in 0...(hay.count - n.count) where hay[i] == n[0] {
                    if memcmp(hay.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                }
                return false
            }
        }
    }
}

/// A thread-safe box for collecting results from completions.
final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func with<R>(_ f: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return f(&value) }
    var get: T { with { $0 } }
}

/// Runs one query on a separate connection (another reader of the same file).
func query<T>(_ path: String, _ sql: String, _ read: (SQLiteStatement) -> T) throws -> [T] {
    var c = SQLiteDatabase.Configuration()
    c.readOnly = true
    let db = try SQLiteDatabase(path: path, configuration: c)
    return try db.withStatement(sql) { s throws(SQLiteError) in
        var out: [T] = []
        while try s.step() { out.append(read(s)) }
        return out
    }
}
