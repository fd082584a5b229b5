import Outbox

extension Configuration {
    /// The store this configuration selects: PostgreSQL when `database_url` is set, else the
    /// SQLite file at `database`.
    public var storeLocation: StoreLocation { databaseURL.map { .postgresql(url: $0) } ?? .sqlite(path: databasePath) }

    /// The PostgreSQL store's options this configuration sets (the listener's own URL).
    public var postgreSQLOptions: PostgreSQLOptions {
        var o = PostgreSQLOptions()
        o.listenURL = databaseListenURL
        return o
    }

    /// The store for messages and logs (a PostgreSQL password masked).
    public var storeDescription: String { storeLocation.description }
}
