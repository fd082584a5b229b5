/// WhatsApp Cloud API (Graph API) error codes and their retry class
/// (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
/// Codes not listed fall back to the HTTP status (429/5xx retryable, other 4xx permanent).
enum MetaErrorCodes {
    typealias Class = OutcomeRules.ErrorClass

    static let table: [Int: (Class, String)] = [
        // Authorization and account
        0: (.permanent, "authentication failed"),  // AuthException
        190: (.permanent, "access token invalid or expired"),
        10: (.permanent, "permission denied"),
        200: (.permanent, "permission denied"),
        368: (.permanent, "sender temporarily blocked for policy violations"),
        131031: (.permanent, "business account locked"),
        133010: (.permanent, "sender phone number not registered"),
        // Throughput and rate limits
        4: (.retryable, "application request limit reached"),
        80007: (.retryable, "WhatsApp Business Account rate limit"),
        130429: (.retryable, "throughput rate limit hit"),
        131048: (.retryable, "spam rate limit hit"),
        131056: (.retryable, "pair rate limit hit"),  // too many to one recipient
        // 131047 (re-engagement: more than 24 h since the user replied) concerns free-form
        // messages; templates are the way out, so a later attempt is worth making.
        131047: (.retryable, "re-engagement window"),
        // Transient platform errors
        1: (.retryable, "unknown API error"),
        2: (.retryable, "API service temporarily unavailable"),
        131000: (.retryable, "something went wrong"),
        131016: (.retryable, "service unavailable"),
        // Recipient
        131026: (.nextRoute, "message undeliverable (not on WhatsApp or cannot receive)"),
        131030: (.permanent, "recipient not in the allowed list (test number)"),
        // Template and request
        100: (.permanent, "invalid parameter"),
        131008: (.permanent, "required parameter missing"),
        131009: (.permanent, "parameter value invalid"),
        132000: (.permanent, "template parameter count mismatch"),
        132001: (.permanent, "template does not exist"),
        132007: (.permanent, "template format policy violated"),
    ]

    static func classify(_ code: Int) -> (Class, String)? { table[code] }
}
