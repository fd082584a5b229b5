#ifndef OTP_RELAY_CMIGRATIONS_H
#define OTP_RELAY_CMIGRATIONS_H

#include <stddef.h>

/// One migration file as the linker embedded it: its file name without ".sql" ("0001_outbox") and
/// its text, NUL-terminated. The bytes are the files under migrations/ themselves, included by
/// migrations.S with .incbin when the target is assembled: there is no second copy in the tree.
typedef struct {
    const char *name;
    const char *sql;
} otp_migration_file;

/// The SQLite migrations (migrations/NNNN_name.sql) and the PostgreSQL ones
/// (migrations/postgresql/NNNN_name.sql), in version order, each ended by an entry whose name is NULL.
extern const otp_migration_file otp_migrations_sqlite[];
extern const otp_migration_file otp_migrations_postgresql[];

static inline const otp_migration_file *otp_migration_sqlite_at(size_t i) { return &otp_migrations_sqlite[i]; }
static inline const otp_migration_file *otp_migration_postgresql_at(size_t i) { return &otp_migrations_postgresql[i]; }

#endif
