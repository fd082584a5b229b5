#ifndef CPOSTGRES_SHIM_H
#define CPOSTGRES_SHIM_H
/* libpq, the PostgreSQL client library (Debian: libpq-dev, headers in `pg_config --includedir`). */
#include <libpq-fe.h>
#endif
