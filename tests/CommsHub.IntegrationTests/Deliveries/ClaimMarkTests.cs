using CommsHub.Testing;

namespace CommsHub.IntegrationTests.Deliveries;

/// <summary>The claim's in-flight mark on PostgreSQL, written by the claim's own statement.</summary>
public sealed class ClaimMarkTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        var settings = _infra.Settings();
        settings["Roles"] = "api"; // no senders or redrive: the batches below are claimed by the tests alone
        _app = new CommsHubApp(settings);
        _ = _app.Server; // migrations
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _infra.DisposeAsync();
    }

    [Fact]
    public Task A_claim_marks_its_first_requests_and_they_leave_without_a_write_of_their_own() =>
        ClaimMarkChecks.A_claim_marks_its_first_requests_and_they_leave_without_a_write_of_their_own(_app.Services);

    [Fact]
    public Task A_claim_that_takes_over_doubt_keeps_the_dead_senders_time_and_its_own_reach() =>
        ClaimMarkChecks.A_claim_that_takes_over_doubt_keeps_the_dead_senders_time_and_its_own_reach(_app.Services);

    [Fact]
    public Task An_unanswered_request_keeps_its_leases_token_and_mark_and_its_retry_finds_it_in_doubt() =>
        ClaimMarkChecks.An_unanswered_request_keeps_its_leases_token_and_mark_and_its_retry_finds_it_in_doubt(_app.Services);

    [Fact]
    public Task A_faulted_command_keeps_a_lapsed_claims_doubt_for_the_next_claim() =>
        ClaimMarkChecks.A_faulted_command_keeps_a_lapsed_claims_doubt_for_the_next_claim(_app.Services);
}
