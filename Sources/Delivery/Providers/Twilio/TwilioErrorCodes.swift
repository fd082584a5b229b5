/// Twilio REST error codes (https://www.twilio.com/docs/api/errors) and what each means for a
/// retry. Codes not listed fall back to the HTTP status (429/5xx retryable, other 4xx permanent).
enum TwilioErrorCodes {
    typealias Class = OutcomeRules.ErrorClass

    static let table: [Int: (Class, String)] = [
        // Account and request
        20003: (.permanent, "authentication failed"),  // 401 Authenticate
        20404: (.permanent, "resource not found"),  // wrong account SID or URL
        20429: (.retryable, "too many requests"),  // API concurrency limit
        21606: (.permanent, "From number cannot send"),  // not SMS-capable / not ours
        21659: (.permanent, "From is not a Twilio number"),
        // Recipient
        21211: (.permanent, "invalid To number"),  // Invalid 'To' Phone Number
        21614: (.permanent, "To is not a mobile number"),  // 'To' number is not a valid mobile number
        21610: (.permanent, "recipient unsubscribed"),  // replied STOP
        21408: (.nextRoute, "region not enabled for this sender"),  // geo permissions: another route may reach it
        21612: (.nextRoute, "To not reachable from this sender"),  // no route between From and To
        // WhatsApp channel
        63003: (.nextRoute, "WhatsApp could not find the To address"),  // not a WhatsApp user / inactive
        63024: (.nextRoute, "invalid recipient for the channel"),  // Invalid message recipient
        63007: (.permanent, "WhatsApp sender not found"),  // From not a registered sender
        63016: (.permanent, "free-form message outside the session window; use a Content template"),
        63018: (.retryable, "WhatsApp rate limit exceeded"),
        63038: (.retryable, "account daily message limit"),
    ]

    static func classify(_ code: Int) -> (Class, String)? { table[code] }
}
