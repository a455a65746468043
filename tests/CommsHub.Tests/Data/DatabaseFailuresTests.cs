using System.Net.Sockets;
using CommsHub.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CommsHub.Tests.Data;

public sealed class DatabaseFailuresTests
{
    public static TheoryData<Exception> Unavailable() =>
    [
        new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        new NpgsqlException("Exception while reading from stream", new IOException("reset", new SocketException((int)SocketError.ConnectionReset))),
        new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")),
        new NpgsqlException("The connection pool has been exhausted", new TimeoutException()),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"),
        new PostgresException("connection failure", "FATAL", "FATAL", "08006"),
        // As EF Core hands them over: SaveChanges' wrapper inside the provider's "transient failure" wrapper.
        new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
            new DbUpdateException("An error occurred while saving the entity changes.",
                new NpgsqlException("Exception while reading from stream", new TimeoutException()))),
        // A multi-host connection string during a failover: the old primary refuses, the standby is not promoted
        // yet (or is still remembered as a standby), or every host was skipped on its remembered state.
        new NpgsqlException("No suitable host was found.", new AggregateException(
            new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
            new NpgsqlException("Failed to connect to 127.0.0.1:5433", new TimeoutException()))),
        new NpgsqlException("No suitable host was found."),
        new DbUpdateException("An error occurred while saving the entity changes.",
            new PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", "25006")),
        new RetryLimitExceededException("Retries exhausted", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))),
    ];

    public static TheoryData<Exception> Other() =>
    [
        new DbUpdateException("An error occurred while saving the entity changes.",
            new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505")),
        new PostgresException("syntax error", "ERROR", "ERROR", "42601"),
        new PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"),
        new NpgsqlException("Something else"),
        new NpgsqlException("No suitable host was found.", new AggregateException(
            new PostgresException("password authentication failed", "FATAL", "FATAL", "28P01"))),
        new TimeoutException("A provider call timed out"),
        new InvalidOperationException("Sequence contains no elements"),
        new HttpRequestException("provider down", new SocketException((int)SocketError.ConnectionRefused)),
    ];

    [Theory]
    [MemberData(nameof(Unavailable))]
    public void An_unreachable_or_stopping_database_is_recognised(Exception exception) =>
        Assert.True(DatabaseFailures.IsUnavailable(exception), exception.ToString());

    [Theory]
    [MemberData(nameof(Other))]
    public void Constraint_violations_and_other_failures_are_not(Exception exception) =>
        Assert.False(DatabaseFailures.IsUnavailable(exception), exception.ToString());

    [Fact]
    public void A_busy_embedded_database_is_worth_another_try_but_is_not_away()
    {
        var busy = new DbUpdateException("An error occurred while saving the entity changes.", new SqliteException("database is locked", 5));
        Assert.True(DatabaseFailures.IsTransient(busy));
        Assert.False(DatabaseFailures.IsUnavailable(busy));
        Assert.False(DatabaseFailures.IsTransient(new DbUpdateException("An error occurred while saving the entity changes.",
            new SqliteException("UNIQUE constraint failed", 19))));
        Assert.False(DatabaseFailures.IsTransient(new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505")));
    }

    [Fact]
    public void Short_time_outs_are_the_default_and_the_connection_string_wins()
    {
        var tuned = new NpgsqlConnectionStringBuilder(DatabaseSetup.Tune("Host=db;Database=commshub;Username=app"));
        Assert.Equal(DatabaseSetup.DefaultConnectTimeoutSeconds, tuned.Timeout);
        Assert.Equal(DatabaseSetup.DefaultCommandTimeoutSeconds, tuned.CommandTimeout);

        var own = new NpgsqlConnectionStringBuilder(DatabaseSetup.Tune("Host=db;Database=commshub;Timeout=15;Command Timeout=60"));
        Assert.Equal(15, own.Timeout);
        Assert.Equal(60, own.CommandTimeout);
    }
}
