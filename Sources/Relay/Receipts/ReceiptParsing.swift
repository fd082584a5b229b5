import Outbox
import RelayCore

/// Reads receipts out of the providers' callbacks into `Receipt`s. Only short tokens are kept
/// (message id, status, error code): the callbacks also carry the recipient's number and error
/// texts, which are never stored or logged.
enum ReceiptParsing {
    /// A Twilio status callback's form: `MessageSid` (or `SmsSid`), `MessageStatus` (or
    /// `SmsStatus`), `ErrorCode`. nil when it names no message or status.
    static func twilio(_ form: [(String, String)], provider: String, now: Int64) -> Receipt? {
        func field(_ names: String...) -> String? {
            for n in names { if let v = form.first(where: { $0.0 == n })?.1, !v.isEmpty { return v } }
            return nil
        }
        guard let sid = field("MessageSid", "SmsSid"), isMessageID(sid),
            let status = field("MessageStatus", "SmsStatus")?.lowercased(), isToken(status)
        else { return nil }
        let code = field("ErrorCode").flatMap { isCode($0) ? $0 : nil }
        return Receipt(
            provider: provider, providerMessageID: sid, kind: kind(of: status), providerStatus: status,
            errorCode: code, receivedAt: now)
    }

    /// A Meta webhook's `entry[].changes[].value.statuses[]`: `id` (the wamid), `status`,
    /// `errors[].code`. Entries without statuses (incoming messages) give none; nil when the body
    /// is not a webhook object at all.
    static func meta(_ body: [UInt8], provider: String, now: Int64) -> [Receipt]? {
        guard let doc = try? JSONParser.parse(body, maxDepth: 12), let entries = doc["entry"]?.arrayValue else { return nil }
        var out: [Receipt] = []
        for entry in entries {
            for change in entry["changes"]?.arrayValue ?? [] {
                for s in change["value"]?["statuses"]?.arrayValue ?? [] {
                    guard let id = s["id"]?.stringValue, isMessageID(id),
                        let status = s["status"]?.stringValue?.lowercased(), isToken(status)
                    else { continue }
                    var code: String?
                    if case .number(let n)? = s["errors"]?.arrayValue?.first?["code"], isCode(n) { code = n }
                    out.append(
                        Receipt(
                            provider: provider, providerMessageID: id, kind: kind(of: status), providerStatus: status,
                            errorCode: code, receivedAt: now))
                }
            }
        }
        return out
    }

    /// Twilio: queued, accepted, scheduled, sending, sent, delivered, read, undelivered, failed,
    /// canceled; Meta: sent, delivered, read, failed.
    static func kind(of status: String) -> ReceiptKind {
        switch status {
        case "delivered", "read": .delivered
        case "failed", "undelivered", "canceled": .failed
        default: .progress
        }
    }

    /// A Twilio SID (`SM…`, 34 characters) or a Meta wamid (`wamid.` + base64).
    static func isMessageID(_ s: String) -> Bool {
        (1...160).contains(s.utf8.count)
            && s.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "=")
                    || b == UInt8(ascii: "+") || b == UInt8(ascii: "/")
            }
    }

    static func isToken(_ s: String) -> Bool {
        (1...32).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "_") }
    }

    static func isCode(_ s: String) -> Bool {
        (1...10).contains(s.utf8.count) && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
