using CommsHub.Api.Infrastructure.Json;

namespace CommsHub.Tests.Api;

public sealed class FieldNamesTests
{
    private static readonly string[] IncidentFields = ["title", "message", "status", "impact", "components", "channels", "notify"];

    [Theory]
    [InlineData("impcat", "impact")]
    [InlineData("titel", "title")]
    [InlineData("mesage", "message")]
    [InlineData("Notfy", "notify")]
    [InlineData("channel", "channels")]
    [InlineData("component", "components")]
    [InlineData("stauts", "status")]
    public void A_misspelt_field_suggests_the_one_it_meant(string unknown, string meant) =>
        Assert.Equal(meant, FieldNames.Nearest(unknown, IncidentFields));

    [Theory]
    [InlineData("publish_at", "publishAt")]
    [InlineData("scheduled-for", "scheduledFor")]
    [InlineData("PUBLISHAT", "publishAt")]
    public void Case_and_separators_do_not_count(string unknown, string meant) =>
        Assert.Equal(meant, FieldNames.Nearest(unknown, ["message", "publishAt", "scheduledFor"]));

    [Theory]
    [InlineData("colour")]
    [InlineData("severity")]
    [InlineData("x")]
    public void Nothing_is_suggested_when_nothing_is_close(string unknown) =>
        Assert.Null(FieldNames.Nearest(unknown, IncidentFields));

    [Fact]
    public void Paths_read_as_the_serializer_writes_them()
    {
        Assert.Equal(["components", 0, "stauts"], JsonPath.Parse("$.components[0].stauts")!);
        Assert.Equal(["odd name", 2], JsonPath.Parse("$['odd name'][2]")!);
        Assert.Equal(["it's"], JsonPath.Parse("$['it\\'s']")!);
        Assert.Equal("components[0].stauts", JsonPath.Format(["components", 0, "stauts"]));
        Assert.Null(JsonPath.Parse("components"));
    }
}
