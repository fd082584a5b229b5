import RelayTestSupport

extension ServiceProcess {
    /// Posts one OTP to the public listener of the running binary on a new connection, as
    /// `simas-id` with `password`; the answer's status (nil when there is none).
    func postWebhook(identifier: String, otp: String, channel: String, password: String) throws -> Int? {
        let c = try RawConnection(port: publicPort)
        try c.send(
            WebhookRequest.post(
                body: WebhookRequest.body(identifier: identifier, otp: otp, channel: channel),
                authorization: WebhookRequest.basic("simas-id", password)))
        return try c.readResponse()?.status
    }
}
