using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Subscribers;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Subscribers.Abuse;

/// <summary>Hostile CSV: an open quote that would swallow the file, and a file of bad lines that would make a huge answer.</summary>
public sealed class ImportBoundsTests : SqliteAppTest
{
    private async Task<(JsonNode Body, int Bytes)> ImportAsync(string csv)
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await Admin.PostAsync("/api/subscribers/import", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text.Length > 500 ? text[..500] : text);
        return (JsonNode.Parse(text)!, Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public async Task An_unclosed_quote_costs_its_own_line_and_the_next_lines_are_imported()
    {
        var csv = "email,phone\n"
                  + "\"ann@example.com,\n"
                  + "bob@example.com,\n"
                  + "\"carol\"x@example.com,\n"
                  + "dave\"@example.com,\n"
                  + "\"erin@example.com\",\"\"\n";
        var (result, _) = await ImportAsync(csv);

        Assert.Equal(2, result["imported"]!.GetValue<int>());
        var rejected = result["rejected"]!.AsArray();
        Assert.Equal([2, 4, 5], rejected.Select(r => r!["line"]!.GetValue<int>()));
        Assert.All(rejected, r => Assert.StartsWith("Bad quoting", r!["error"]!.GetValue<string>()));
        Assert.Equal(3, result["rejectedCount"]!.GetValue<int>());
        Assert.Equal(["bob@example.com", "erin@example.com"], await WithDbAsync(db => db.Subscribers.Select(s => s.Address).OrderBy(a => a).ToListAsync()));
    }

    [Fact]
    public async Task A_file_of_bad_lines_answers_with_the_first_thousand_and_a_count_without_echoing_them()
    {
        var junk = new string('x', 2000);
        var csv = new StringBuilder("email\n");
        for (var i = 0; i < 3000; i++)
        {
            csv.Append(junk).Append(i).Append('\n');
        }
        csv.Append("good@example.com\n");
        var (result, bytes) = await ImportAsync(csv.ToString());

        Assert.Equal(1, result["imported"]!.GetValue<int>());
        Assert.Equal(3000, result["rejectedCount"]!.GetValue<int>());
        var rejected = result["rejected"]!.AsArray();
        Assert.Equal(Rejections.Kept, rejected.Count);
        Assert.Equal(2, rejected[0]!["line"]!.GetValue<int>());
        Assert.Equal(Rejections.Kept + 1, rejected[^1]!["line"]!.GetValue<int>());
        Assert.All(rejected, r => Assert.True(r!["error"]!.GetValue<string>().Length <= Rejections.MaxErrorLength));
        Assert.True(bytes < csv.Length / 10, $"the answer ({bytes} bytes) is a small part of the {csv.Length}-byte file");
    }
}
