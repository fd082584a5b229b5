import Foundation
import RelayCore

/// The files `serve` keeps are readable by their owner only: the database and its `-wal`/`-shm`,
/// the sandbox file (it holds OTPs in clear), the data key and the credentials.
public enum PrivateFiles {
    /// From here on the process creates nothing readable by group or others (each file is also
    /// created 0600 explicitly; this covers whatever is created without a mode).
    public static func restrictCreationMode() {
        umask(0o077)
    }

    /// The private files of `config` (whether or not they exist).
    public static func paths(_ config: Configuration) -> [String] {
        let db = config.databasePath
        return [
            db, db + "-wal", db + "-shm", db + "-journal", config.sandboxFile, config.resolvedDataKeyFile, config.resolvedCredentialsFile,
        ]
    }

    /// Existing private files that group or others may read (left by an older version) are set to
    /// 0600, each with a warning. Returns the paths changed.
    @discardableResult
    public static func tighten(_ config: Configuration, logger: Logger) -> [String] {
        var changed: [String] = []
        for path in paths(config) {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o077 != 0 else { continue }
            guard chmod(path, 0o600) == 0 else {
                logger.warning("cannot restrict file mode", ["file": .string(path), "error": .string(String(cString: strerror(errno)))])
                continue
            }
            logger.warning(
                "file mode restricted to 0600", ["file": .string(path), "was": .string(String(st.st_mode & 0o777, radix: 8))])
            changed.append(path)
        }
        return changed
    }
}
