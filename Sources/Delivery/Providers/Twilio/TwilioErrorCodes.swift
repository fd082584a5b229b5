/// Twilio REST error codes (https://www.twilio.com/docs/api/errors) and what each means for a
/// retry; the same table judges the `ErrorCode` of a failed status callback. Codes not listed
/// fall back to the HTTP status (429/5xx retryable, other 4xx permanent).
///
/// `provider`: the account, sender or limits of this provider are at fault, so another provider
/// may deliver (next rung, counted against the breaker); `permanent`: the recipient is.
enum TwilioErrorCodes {
    typealias Class = OutcomeRules.ErrorClass

    static let table: [Int: (Class, String)] = [
        // Account and request
        20003: (.permanent, "authentication failed"),  // 401 Authenticate: a provider failure by its status
        20404: (.provider, "resource not found"),  // wrong account SID or URL
        20429: (.retryable, "too many requests"),  // API concurrency limit
        21606: (.provider, "From number cannot send"),  // not SMS-capable / not ours
        21659: (.provider, "From is not a Twilio number"),
        // Recipient
        21211: (.permanent, "invalid To number"),  // Invalid 'To' Phone Number
        21614: (.permanent, "To is not a mobile number"),  // 'To' number is not a valid mobile number
        21610: (.permanent, "recipient unsubscribed"),  // replied STOP
        21408: (.nextRoute, "region not enabled for this sender"),  // geo permissions: another route may reach it
        21612: (.nextRoute, "To not reachable from this sender"),  // no route between From and To
        // Carrier results reported by status callbacks
        30003: (.nextRoute, "unreachable destination handset"),
        30005: (.nextRoute, "unknown destination handset"),
        30006: (.nextRoute, "landline or unreachable carrier"),
        30008: (.nextRoute, "unknown error"),
        // WhatsApp channel
        63003: (.nextRoute, "WhatsApp could not find the To address"),  // not a WhatsApp user / inactive
        63024: (.nextRoute, "invalid recipient for the channel"),  // Invalid message recipient
        63007: (.provider, "WhatsApp sender not found"),  // From not a registered sender
        // Free-form outside the 24 h window: resending the same message is pointless.
        63016: (.nextRoute, "free-form message outside the session window; use a Content template"),
        63018: (.retryable, "WhatsApp rate limit exceeded"),
        63038: (.provider, "account daily message limit"),
    ]

    static func classify(_ code: Int) -> (Class, String)? { table[code] }
}
