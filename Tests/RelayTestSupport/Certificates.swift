import Foundation

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
public func makeSelfSignedCertificate(in dir: TempDirectory) throws -> (cert: String, key: String) {
    let cert = dir.file("cert.pem"), key = dir.file("key.pem")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    p.arguments = [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "openssl", code: Int(p.terminationStatus))
    }
    return (cert, key)
}
