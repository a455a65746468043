using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Core.Incidents;

namespace CommsHub.Tests.Chat;

public sealed partial class ChatLimitsTests : IDisposable
{
    // 10,000 characters that all need escaping somewhere: &, <, >, *, _ and a mass mention in every sentence.
    private static readonly string LongText = string.Concat(Enumerable.Repeat("Rollback of R&D <build> *7* in_progress for @everyone; ", 200))[..10_000];

    private readonly ChatWebhookFake _fake = new();
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services;

    public ChatLimitsTests() => _services = ChatServices.Build(_fake.Configuration);

    public void Dispose()
    {
        _services.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public void Text_that_fits_comes_back_escaped_and_whole()
    {
        Assert.Equal("R&amp;D", ChatLimits.Fit("R&D", 7, ChatText.Slack));
        Assert.Equal("alpha beta", ChatLimits.Fit("alpha beta", 10));
    }

    [Fact]
    public void Text_that_does_not_fit_is_cut_at_a_word_boundary_with_an_ellipsis()
    {
        Assert.Equal("alpha beta…", ChatLimits.Fit("alpha beta gamma", 12));
        Assert.Equal("alpha…", ChatLimits.Fit("alpha beta", 9));
    }

    [Fact]
    public void A_single_long_word_is_cut_mid_word_rather_than_to_nothing()
    {
        Assert.Equal("ab cdefghi…", ChatLimits.Fit("ab cdefghijklmnop", 11));
        Assert.Equal("abcdefghi…", ChatLimits.Fit("abcdefghijklmnop", 10));
    }

    [Fact]
    public void The_cut_never_splits_an_escape_sequence_or_a_surrogate_pair()
    {
        for (var limit = 2; limit < 40; limit++)
        {
            var slack = ChatLimits.Fit("&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&", limit, ChatText.Slack);
            Assert.True(slack.Length <= limit);
            Assert.Matches("^(&amp;)*…$", slack);

            var emoji = ChatLimits.Fit(string.Concat(Enumerable.Repeat("🔥", 30)), limit);
            Assert.True(emoji.Length <= limit);
            Assert.Equal(0, (emoji.Length - 1) % 2);
        }
    }

    [Fact]
    public void A_list_that_does_not_fit_keeps_whole_items_and_says_how_many_are_left_out()
    {
        Assert.Equal("alpha, beta, and 2 more", ChatLimits.JoinWithin(["alpha", "beta", "gamma", "delta"], ", ", 24));
        Assert.Equal("alpha, beta, gamma, delta", ChatLimits.JoinWithin(["alpha", "beta", "gamma", "delta"], ", ", 25));
        Assert.Equal("", ChatLimits.JoinWithin([], ", ", 25));
    }

    [Fact]
    public void What_a_cut_leaves_out_is_reported_unescaped()
    {
        var cuts = new List<string>();
        Assert.Equal("R&amp;D and…", ChatLimits.Fit("R&D and <ops> teams", 13, ChatText.Slack, cuts));
        Assert.Equal("alpha", ChatLimits.Fit("alpha", 5, cuts: cuts)); // fits: nothing to report
        Assert.Equal("abcdefghi…", ChatLimits.Fit("abcdefghijklmnop", 10, cuts: cuts));
        Assert.Equal(["<ops> teams", "jklmnop"], cuts);
    }

    [Fact]
    public void A_list_cut_short_reports_the_items_it_left_out()
    {
        var cuts = new List<string>();
        Assert.Equal("alpha, beta, and 2 more", ChatLimits.JoinWithin(["alpha", "beta", "gamma", "delta"], ", ", 24, cuts: cuts));
        Assert.Equal(["gamma, delta"], cuts);
        cuts.Clear();
        ChatLimits.JoinWithin(["alpha", "beta"], ", ", 25, cuts: cuts);
        Assert.Empty(cuts);
    }

    [Theory]
    [InlineData("slack")]
    [InlineData("discord")]
    [InlineData("teams")]
    public void Each_medium_reports_the_title_and_message_it_cut_and_nothing_for_an_update_that_fits(string medium)
    {
        var webhook = _services.Webhook(medium);
        var title = string.Join(' ', Enumerable.Range(1, 60).Select(i => $"Title{i}"));
        var message = string.Join(' ', Enumerable.Range(1, 2000).Select(i => $"Word{i}."));

        var cut = webhook.Render(Updates.Sample(title: title, message: message));

        Assert.True(cut.Truncated);
        Assert.Equal(2, cut.Cuts.Count);
        Assert.EndsWith(cut.Cuts[0], title);
        Assert.StartsWith("Title", cut.Cuts[0]);
        Assert.EndsWith(cut.Cuts[1], message);
        Assert.StartsWith("Word", cut.Cuts[1]);
        Assert.Equal(cut.Cuts[0] + "\n\n" + cut.Cuts[1], cut.Cut);
        // The body is exactly what RenderBody (and so the sender) produces.
        Assert.Equal(webhook.RenderBody(Updates.Sample(title: title, message: message)), cut.Json);

        var whole = webhook.Render(Updates.Sample());
        Assert.False(whole.Truncated);
        Assert.Null(whole.Cut);
    }

    [Fact]
    public void A_10000_character_message_fits_every_Slack_limit_with_the_link_intact()
    {
        var body = JsonNode.Parse(_services.Webhook("slack").RenderBody(Huge()))!;

        var blocks = body["blocks"]!.AsArray();
        Assert.InRange(Text(blocks[0]!["text"]!).Length, 1, ChatLimits.SlackHeader);
        var section = Text(blocks[1]!["text"]!);
        Assert.InRange(section.Length, ChatLimits.SlackSectionText - 200, ChatLimits.SlackSectionText);
        Assert.EndsWith($"…\n\n*<{Updates.IncidentUrl}|View incident>*", section);
        var fields = blocks[2]!["fields"]!.AsArray().Select(f => Text(f!)).ToList();
        Assert.Equal(3, fields.Count);
        Assert.All(fields, f => Assert.InRange(f.Length, 1, ChatLimits.SlackField));
        Assert.Matches(@"\nand \d+ more$", fields[2]);
        var context = Text(blocks[3]!["elements"]![0]!);
        Assert.InRange(context.Length, 1, ChatLimits.SlackContextText);
        var fallback = Text(body["text"]!);
        Assert.InRange(fallback.Length, 1, ChatLimits.SlackFallbackText);
        Assert.All(new[] { section, context, fallback }.Concat(fields), t => Assert.DoesNotMatch(BrokenEntity(), t));
    }

    [Fact]
    public void A_10000_character_message_fits_every_Discord_limit_and_the_6000_character_embed_total()
    {
        var body = JsonNode.Parse(_services.Webhook("discord").RenderBody(Huge()))!;

        var embed = body["embeds"]![0]!;
        var title = Text(embed["title"]!);
        var description = Text(embed["description"]!);
        var footer = Text(embed["footer"]!);
        var fields = embed["fields"]!.AsArray().Select(f => (Name: f!["name"]!.GetValue<string>(), Value: f["value"]!.GetValue<string>())).ToList();
        Assert.InRange(title.Length, 1, ChatLimits.DiscordTitle);
        Assert.InRange(description.Length, ChatLimits.DiscordDescription - 100, ChatLimits.DiscordDescription);
        Assert.EndsWith("…", description);
        Assert.InRange(footer.Length, 1, ChatLimits.DiscordFooter);
        Assert.InRange(fields.Count, 1, ChatLimits.DiscordFields);
        Assert.All(fields, f => Assert.InRange(f.Name.Length, 1, ChatLimits.DiscordFieldName));
        Assert.All(fields, f => Assert.InRange(f.Value.Length, 1, ChatLimits.DiscordFieldValue));
        Assert.Matches(@"\nand \d+ more$", fields[2].Value);
        var total = title.Length + description.Length + footer.Length + fields.Sum(f => f.Name.Length + f.Value.Length);
        Assert.InRange(total, 1, ChatLimits.DiscordEmbedTotal);
        Assert.Equal(Updates.IncidentUrl, Text(embed["url"]!));
        // A cut never leaves a dangling backslash that would escape the ellipsis.
        Assert.DoesNotMatch(@"(?<!\\)(\\\\)*\\…$", description);
    }

    [Fact]
    public void A_10000_character_message_fits_every_Teams_limit_and_the_card_stays_well_under_28_KB()
    {
        var json = _services.Webhook("teams").RenderBody(Huge());

        var card = JsonNode.Parse(json)!["attachments"]![0]!["content"]!;
        var body = card["body"]!.AsArray();
        Assert.InRange(Text(body[0]!).Length, 1, ChatLimits.TeamsTitle);
        var facts = body[1]!["facts"]!.AsArray().Select(f => f!["value"]!.GetValue<string>()).ToList();
        Assert.All(facts, f => Assert.InRange(f.Length, 1, ChatLimits.TeamsFactValue));
        Assert.Matches(", and \\d+ more$", facts[2]);
        var message = Text(body[2]!);
        Assert.InRange(message.Length, ChatLimits.TeamsMessage - 200, ChatLimits.TeamsMessage);
        Assert.EndsWith("…", message);
        Assert.DoesNotMatch(BrokenEntity(), message);
        Assert.Equal(Updates.IncidentUrl, card["actions"]![0]!["url"]!.GetValue<string>());
        Assert.InRange(Encoding.UTF8.GetByteCount(json), 1, 20_000);
    }

    [Fact]
    public async Task Every_medium_posts_the_cut_message_and_its_provider_accepts_it()
    {
        foreach (var webhook in new[] { "slack", "discord", "teams" }.Select(_services.Webhook))
        {
            var result = await webhook.PostAsync(webhook.RenderBody(Huge()), default);

            Assert.Equal(DeliveryStatus.Sent, result.Status);
            Assert.Single(_fake.Posts(webhook.Name));
        }
    }

    /// <summary>A 10,000-character title, message and page name, and 300 components with long names.</summary>
    private static UpdateContent Huge() => Updates.Sample(
        title: LongText,
        message: LongText,
        pageName: LongText,
        components: Enumerable.Range(1, 300).Select(i => ($"Component <{i}> & a rather long descriptive name", ComponentStatus.MajorOutage)).ToList());

    private static string Text(JsonNode node) => (node is JsonObject withText ? withText["text"]! : node).GetValue<string>();

    [GeneratedRegex("&(?!amp;|lt;|gt;)")]
    private static partial Regex BrokenEntity();

}
