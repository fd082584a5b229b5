import Outbox

extension Configuration {
    /// The store this configuration selects: PostgreSQL when `database_url` is set, else the
    /// SQLite file at `database`.
    public var storeLocation: StoreLocation { databaseURL.map { .postgresql(url: $0) } ?? .sqlite(path: databasePath) }

    /// The store for messages and logs (a PostgreSQL password masked).
    public var storeDescription: String { storeLocation.description }
}
