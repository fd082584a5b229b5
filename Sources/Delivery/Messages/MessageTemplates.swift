import RelayCore

/// The wording of one message: SMS and WhatsApp use `text`; email also `subject` and `html`.
/// Placeholders: `{otp}`, `{minutes}`, `{app}`.
public struct MessageTemplate: Sendable, Equatable {
    public var text: String
    public var subject: String?
    /// HTML with placeholders; substituted values are HTML-escaped.
    public var html: String?

    public init(text: String, subject: String? = nil, html: String? = nil) {
        self.text = text
        self.subject = subject
        self.html = html
    }
}

/// Per-channel templates per language, with the built-in Indonesian (`id`, the default) and
/// English (`en`) wording. Operators may replace any of them from configuration.
public struct MessageTemplates: Sendable {
    public static let defaultLanguage = "id"
    public var templates: [String: [Channel: MessageTemplate]]

    public init(templates: [String: [Channel: MessageTemplate]] = MessageTemplates.builtIn) {
        self.templates = templates
    }

    /// The template for a channel and language, falling back to the default language.
    public func template(for channel: Channel, language: String) -> MessageTemplate {
        if let t = templates[language.lowercased()]?[channel] { return t }
        if let t = templates[MessageTemplates.defaultLanguage]?[channel] { return t }
        return MessageTemplates.builtIn[MessageTemplates.defaultLanguage]![channel]!
    }

    /// Renders a message for a provider. Every substitution is single-pass.
    public func render(
        jobID: String, channel: Channel, recipient: String, otp: String,
        language: String = MessageTemplates.defaultLanguage, validityMinutes: Int, appName: String
    ) -> OutgoingMessage {
        let t = template(for: channel, language: language)
        let values = ["otp": otp, "minutes": String(validityMinutes), "app": appName]
        let lang = templates[language.lowercased()]?[channel] != nil ? language.lowercased() : MessageTemplates.defaultLanguage
        return OutgoingMessage(
            jobID: jobID, channel: channel, recipient: recipient, otp: otp,
            text: TemplateRenderer.render(t.text, values: values),
            subject: channel == .email ? t.subject.map { TemplateRenderer.render($0, values: values) } : nil,
            html: channel == .email ? t.html.map { TemplateRenderer.render($0, values: values, escape: TemplateRenderer.htmlEscape) } : nil,
            language: lang, validityMinutes: validityMinutes, appName: appName)
    }

    public static let builtIn: [String: [Channel: MessageTemplate]] = [
        "id": [
            .sms: MessageTemplate(
                text:
                    "{otp} adalah kode OTP {app} Anda. Berlaku {minutes} menit. JANGAN berikan kode ini kepada siapa pun."),
            .whatsapp: MessageTemplate(
                text:
                    "*{otp}* adalah kode verifikasi {app} Anda. Berlaku {minutes} menit. Demi keamanan, jangan berikan kode ini kepada "
                        + "siapa pun."
            ),
            .email: MessageTemplate(
                text:
                    "Kode verifikasi {app} Anda: {otp}\r\n\r\nKode ini berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun, "
                        + "termasuk pihak yang mengaku dari {app}.\r\n\r\nJika Anda tidak meminta kode ini, abaikan email ini.",
                subject: "Kode verifikasi {app} Anda",
                html: emailHTML(
                    lead: "Kode verifikasi {app} Anda:",
                    validity:
                        "Kode ini berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun, termasuk pihak yang mengaku dari "
                            + "{app}.",
                    ignore: "Jika Anda tidak meminta kode ini, abaikan email ini.", lang: "id")),
        ],
        "en": [
            .sms: MessageTemplate(
                text:
                    "{otp} is your {app} OTP code. Valid for {minutes} minutes. NEVER share this code with anyone."),
            .whatsapp: MessageTemplate(
                text:
                    "*{otp}* is your {app} verification code. Valid for {minutes} minutes. For your security, do not share this code with "
                        + "anyone."
            ),
            .email: MessageTemplate(
                text:
                    "Your {app} verification code: {otp}\r\n\r\nThis code is valid for {minutes} minutes. Never share it with anyone, "
                        + "including people claiming to be from {app}.\r\n\r\nIf you did not request this code, ignore this email.",
                subject: "Your {app} verification code",
                html: emailHTML(
                    lead: "Your {app} verification code:",
                    validity:
                        "This code is valid for {minutes} minutes. Never share it with anyone, including people claiming to be from {app}.",
                    ignore: "If you did not request this code, ignore this email.", lang: "en")),
        ],
    ]

    private static func emailHTML(lead: String, validity: String, ignore: String, lang: String) -> String {
        """
        <!DOCTYPE html>\r
        <html lang="\(lang)"><head><meta charset="utf-8"><title>{app}</title></head>\r
        <body style="font-family:Arial,sans-serif;color:#222">\r
        <p>\(lead)</p>\r
        <p style="font-size:28px;font-weight:bold;letter-spacing:4px">{otp}</p>\r
        <p>\(validity)</p>\r
        <p style="color:#666">\(ignore)</p>\r
        </body></html>\r

        """
    }
}
