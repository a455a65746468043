using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CommsHub.Core.Data;

/// <summary>Tells a database that is away (down, restarting, failing over) from a statement that failed on its own.</summary>
public static class DatabaseFailures
{
    /// <summary>What Npgsql's multi-host data source throws when no listed host fits Target Session Attributes.</summary>
    public const string NoSuitableHost = "No suitable host was found.";

    /// <summary>
    /// The database could not be reached, or refused work because it is shutting down or starting:
    /// a socket or I/O failure or a time-out inside Npgsql (connect, read, an exhausted pool), or
    /// PostgreSQL's connection-class and shutdown codes. EF wraps these (DbUpdateException, the
    /// "transient failure" InvalidOperationException, RetryLimitExceededException), so the whole chain
    /// is read. A PostgresException with any other code (a constraint, a syntax error) is the
    /// statement's fault, not the database's absence, and keeps its mapping.
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                        // A write that reached a standby: the primary is gone or not yet promoted.
                        or PostgresErrorCodes.ReadOnlySqlTransaction
                        || pg.SqlState.StartsWith("08", StringComparison.Ordinal); // connection exceptions
                case NpgsqlException { InnerException: AggregateException hosts }:
                    // A multi-host connection string found no primary: each host's reason inside.
                    return hosts.InnerExceptions.Count > 0 && hosts.InnerExceptions.All(IsUnavailable);
                case NpgsqlException npgsql:
                    return npgsql.InnerException is IOException or SocketException or TimeoutException
                        // The same with no reason left: every host was skipped on its remembered state (down, or a
                        // standby) during a failover, until Npgsql looks at them again (Host Recheck Seconds).
                        || (npgsql.InnerException is null && npgsql.Message == NoSuitableHost);
                case TimeoutException when e.Source == "Npgsql":
                    return true;
                case RetryLimitExceededException:
                    continue;
            }
        }
        return false;
    }

    /// <summary>
    /// Worth trying the same write again shortly: the database is away (<see cref="IsUnavailable"/>), or an
    /// embedded SQLite file is busy with another writer past its busy time-out.
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        if (IsUnavailable(exception))
        {
            return true;
        }
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: 5 or 6 }) // SQLITE_BUSY, SQLITE_LOCKED
            {
                return true;
            }
        }
        return false;
    }
}
