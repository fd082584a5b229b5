import RelayCore

/// The logic of `otp-relay token verify TOKEN|-`: checks a SIMAS-ID access token the way the admin
/// API does and prints its claims, or the exact check that failed. Exit status 0 valid, 1 not valid
/// (or could not be judged), 2 usage error. The token itself is never printed. Input and output
/// are injected so tests can drive it; the executable passes stdin, stdout and stderr.
public struct TokenVerifyCLI {
    public static let usage = """
        usage: otp-relay token verify [options] TOKEN|-

        Validates a SIMAS-ID access token locally (JWKS, RS256, iss, aud, azp, exp/nbf/iat) and
        prints its claims as JSON, or the check that failed. "-" reads the token from stdin; a
        leading "Bearer " is ignored.

        options (override OTP_RELAY_SIMASID_ENV, _ISSUER, _JWKS_URI, _CLIENT_ID):
          --env staging|production  JWKS URI preset from the partner document
          --issuer ISS              the exact iss to require (required: no preset exists)
          --jwks-uri URL            JWKS URI (overrides --env)
          --client-id ID            our client id, which aud must contain (nanovest, siminvest)
          --no-azp                  do not require azp to equal the client id
          --leeway SECONDS          clock skew allowed on exp, nbf, iat (default 30)
          --userinfo URL|ENV        ask SIMAS-ID's userinfo endpoint instead of validating locally
          --help                    this text

        exit status: 0 valid, 1 not valid, 2 usage error
        """

    /// Where the token comes from for "-", and where output goes.
    public var readStandardInput: () -> String?
    public var standardOutput: (String) -> Void
    public var standardError: (String) -> Void
    /// The transport for JWKS and userinfo requests.
    public var transport: any TokenHTTPTransport
    public var clock: any WallClock

    public init(
        readStandardInput: @escaping () -> String?, standardOutput: @escaping (String) -> Void,
        standardError: @escaping (String) -> Void, transport: any TokenHTTPTransport = HTTPClientTokenTransport(),
        clock: any WallClock = SystemClock()
    ) {
        self.readStandardInput = readStandardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.transport = transport
        self.clock = clock
    }

    struct Options {
        var environment: SIMASIDEnvironment?
        var issuer: String?
        var jwksURI: String?
        var clientID: String?
        var requireAZP = true
        var leeway = TokenVerifierConfiguration.defaultLeewaySeconds
        var userinfo: String?
        var token: String?
        var help = false
    }

    public func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        var args = arguments[...]
        // Accept being handed the whole subcommand as well as only what follows it.
        if args.first == "token" { args = args.dropFirst() }
        if args.first == "verify" { args = args.dropFirst() }
        let options: Options
        do {
            options = try Self.parse(Array(args), environment: environment)
        } catch {
            standardError("otp-relay token verify: \(error.description)\nrun 'otp-relay token verify --help' for usage")
            return 2
        }
        if options.help {
            standardOutput(Self.usage)
            return 0
        }
        guard var token = options.token == "-" ? readStandardInput() : options.token else {
            standardError("otp-relay token verify: cannot read the token from stdin")
            return 2
        }
        token = token.trimmingWhitespace()
        if token.hasPrefix("Bearer ") { token = String(token.dropFirst("Bearer ".count)).trimmingWhitespace() }

        if let userinfo = options.userinfo {
            let url = SIMASIDEnvironment(rawValue: userinfo)?.userinfoURL ?? userinfo
            return report(
                UserinfoClient(url: url, transport: transport).fetch(token).map { $0.claims },
                source: "userinfo \(url)")
        }
        guard let jwksURI = options.jwksURI ?? options.environment?.jwksURI else {
            standardError("otp-relay token verify: no JWKS URI: give --env staging|production or --jwks-uri")
            return 2
        }
        guard let issuer = options.issuer else {
            standardError("otp-relay token verify: --issuer is required (the partner document does not fix the issuer)")
            return 2
        }
        guard let clientID = options.clientID else {
            standardError("otp-relay token verify: --client-id is required (nanovest or siminvest)")
            return 2
        }
        let configuration = TokenVerifierConfiguration(
            issuer: issuer, clientID: clientID, jwksURI: jwksURI,
            requireAuthorizedParty: options.requireAZP,
            leewaySeconds: options.leeway)
        let verifier = TokenVerifier(configuration: configuration, transport: transport, clock: clock)
        return report(verifier.verify(token).map { $0.claims }, source: "JWKS \(jwksURI)")
    }

    private func report(_ result: Result<JSONValue, TokenError>, source: String) -> Int32 {
        switch result {
        case .success(let claims):
            standardOutput(claims.prettyJSONText)
            standardError("token valid (\(source))")
            return 0
        case .failure(let error):
            standardOutput(
                JSONValue.object([
                    "valid": .bool(false), "check": .string(error.check.rawValue),
                    "detail": .string(error.detail),
                ]).jsonText)
            standardError("token not valid: \(error.check.rawValue): \(error.detail)")
            return 1
        }
    }

    static func parse(_ arguments: [String], environment env: [String: String]) throws(UsageError) -> Options {
        var o = Options()
        if let e = env["OTP_RELAY_SIMASID_ENV"], !e.isEmpty { o.environment = try environmentValue(e, "OTP_RELAY_SIMASID_ENV") }
        o.issuer = env["OTP_RELAY_SIMASID_ISSUER"].flatMap { $0.isEmpty ? nil : $0 }
        o.jwksURI = env["OTP_RELAY_SIMASID_JWKS_URI"].flatMap { $0.isEmpty ? nil : $0 }
        o.clientID = env["OTP_RELAY_SIMASID_CLIENT_ID"].flatMap { $0.isEmpty ? nil : $0 }

        // The one command-line parser; "flag" is this command's word for an unknown `-…` argument.
        var a = CommandLineArguments(arguments, optionWord: "flag")
        if try a.help() {
            o.help = true
            return o
        }
        if let e = try a.option("--env", emptyAllowed: false) { o.environment = try environmentValue(e, "--env") }
        if let v = try a.option("--issuer", emptyAllowed: false) { o.issuer = v }
        if let v = try a.option("--jwks-uri", emptyAllowed: false) { o.jwksURI = v }
        if let v = try a.option("--client-id", emptyAllowed: false) { o.clientID = v }
        if try a.flag("--no-azp") { o.requireAZP = false }
        if let v = try a.option("--userinfo", emptyAllowed: false) { o.userinfo = v }
        if let v = try a.option("--leeway", emptyAllowed: false) {
            guard let s = Int64(v), (0...86_400).contains(s) else {
                throw UsageError("--leeway must be whole seconds from 0 to 86400, not \(v.prefix(20))")
            }
            o.leeway = s
        }
        let positionals = try a.positionals()
        guard positionals.count == 1 else {
            throw UsageError(
                positionals.isEmpty
                    ? "missing TOKEN (or - to read it from stdin)" : "expected one TOKEN, got \(positionals.count) arguments")
        }
        o.token = positionals[0]
        return o
    }

    private static func environmentValue(_ v: String, _ source: String) throws(UsageError) -> SIMASIDEnvironment {
        guard let e = SIMASIDEnvironment(rawValue: v) else {
            throw UsageError("\(source) must be staging or production, not \(v.prefix(20))")
        }
        return e
    }
}

private extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
