import Outbox

extension Configuration {
    /// The store this configuration selects: the SQLite file at `database` (a PostgreSQL
    /// `database_url` would select that store here).
    public var storeLocation: StoreLocation { .sqlite(path: databasePath) }
}
