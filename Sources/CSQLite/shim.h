#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift cannot import. */
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

/* Variadic sqlite3_db_config, wrapped for the integer options. */
static inline int csqlite_db_config_int(sqlite3 *db, int op, int value, int *out) {
    return sqlite3_db_config(db, op, value, out);
}

/* Variadic sqlite3_config, wrapped for the integer options (call before the first connection). */
static inline int csqlite_config_int(int op, int value) {
    return sqlite3_config(op, value);
}
#endif
