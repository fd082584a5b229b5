/// WhatsApp Cloud API (Graph API) error codes and their retry class
/// (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes); the same
/// table judges the `errors[].code` of a `failed` status webhook. Codes not listed fall back to
/// the HTTP status (429/5xx retryable, other 4xx permanent).
///
/// `provider`: this account, number, template or payment setup cannot send, so another provider
/// may deliver (next rung, counted against the breaker); `permanent`: the recipient is at fault.
enum MetaErrorCodes {
    typealias Class = OutcomeRules.ErrorClass

    static let table: [Int: (Class, String)] = [
        // Authorization (401/403: provider failures by their status) and account
        0: (.permanent, "authentication failed"),  // AuthException
        190: (.permanent, "access token invalid or expired"),
        10: (.permanent, "permission denied"),
        200: (.permanent, "permission denied"),
        368: (.permanent, "sender temporarily blocked for policy violations"),
        131031: (.permanent, "business account locked"),
        131042: (.provider, "business eligibility payment issue"),
        130497: (.provider, "business account restricted from messaging users in this country"),
        133010: (.provider, "sender phone number not registered"),
        // Throughput and rate limits
        4: (.retryable, "application request limit reached"),
        80007: (.retryable, "WhatsApp Business Account rate limit"),
        130429: (.retryable, "throughput rate limit hit"),
        131048: (.provider, "spam rate limit hit"),  // the number's quality: this sender is held back
        131056: (.retryable, "pair rate limit hit"),  // too many to one recipient
        // More than 24 h since the user replied: the same message will not go through later.
        131047: (.nextRoute, "re-engagement window"),
        // Transient platform errors
        1: (.retryable, "unknown API error"),
        2: (.retryable, "API service temporarily unavailable"),
        131000: (.retryable, "something went wrong"),
        131016: (.retryable, "service unavailable"),
        // Recipient
        131026: (.nextRoute, "message undeliverable (not on WhatsApp or cannot receive)"),
        131030: (.permanent, "recipient not in the allowed list (test number)"),
        // Template and request: our setup, not the recipient
        100: (.provider, "invalid parameter"),
        131008: (.provider, "required parameter missing"),
        131009: (.provider, "parameter value invalid"),
        132000: (.provider, "template parameter count mismatch"),
        132001: (.provider, "template does not exist"),
        132007: (.provider, "template format policy violated"),
        132015: (.provider, "template paused"),
        132016: (.provider, "template disabled"),
    ]

    static func classify(_ code: Int) -> (Class, String)? { table[code] }
}
