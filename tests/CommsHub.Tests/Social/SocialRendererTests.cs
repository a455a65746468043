using System.Globalization;
using System.Text;
using CommsHub.Core.Channels.Social;
using CommsHub.Core.Common;

namespace CommsHub.Tests.Social;

/// <summary>The pure rendering: wording, each network's count, and cutting to fit with the link kept whole.</summary>
public sealed class SocialRendererTests
{
    private const string Url = Updates.IncidentUrl;

    public static TheoryData<string> Media => new() { "mastodon", "bluesky", "x" };

    private static SocialMedium Medium(string name) => name switch
    {
        "mastodon" => SocialMedium.Mastodon,
        "bluesky" => SocialMedium.Bluesky,
        _ => SocialMedium.X,
    };

    [Fact]
    public void A_first_post_says_the_status_in_words_then_the_title_the_message_and_the_link()
    {
        var text = SocialRenderer.Render(SocialMedium.Mastodon, Updates.Content(), isFollowUp: false);

        Assert.Equal($"🔴 Investigating — Video playback outage\n\nWe are investigating reports of videos failing to start.\n\n{Url}", text.Text);
        Assert.Equal(500, text.Limit);
        Assert.Equal(SocialMedium.Mastodon.Measure(text.Text), text.Length);
    }

    [Fact]
    public void A_follow_up_says_update_and_the_new_status_without_repeating_the_title()
    {
        var content = Updates.Content("The faulty CDN node is out of rotation.", IncidentStatus.Identified);

        var text = SocialRenderer.Render(SocialMedium.Bluesky, content, isFollowUp: true);

        Assert.Equal($"🟠 Update (Identified): The faulty CDN node is out of rotation.\n\n{Url}", text.Text);
    }

    [Theory]
    [InlineData(IncidentStatus.Investigating, "🔴 Investigating")]
    [InlineData(IncidentStatus.Identified, "🟠 Identified")]
    [InlineData(IncidentStatus.Monitoring, "🟡 Monitoring")]
    [InlineData(IncidentStatus.Resolved, "✅ Resolved")]
    [InlineData(IncidentStatus.Postmortem, "📝 Postmortem")]
    public void Every_status_is_written_in_words(IncidentStatus status, string lead)
    {
        Assert.StartsWith(lead + " — ", SocialRenderer.Render(SocialMedium.X, Updates.Content(status: status), false).Text);
        Assert.StartsWith($"{lead[..lead.IndexOf(' ', StringComparison.Ordinal)]} Update ({Labels.Of(status)}): ",
            SocialRenderer.Render(SocialMedium.X, Updates.Content(status: status), true).Text);
    }

    [Fact]
    public void Whitespace_is_tidied_and_an_empty_message_leaves_no_gap()
    {
        var messy = Updates.Content("  First line.  \r\n\r\n\r\n\r\nSecond line.\r\n ", title: "  Video \n playback   outage ");
        Assert.Equal($"🔴 Investigating — Video playback outage\n\nFirst line.\n\nSecond line.\n\n{Url}",
            SocialRenderer.Render(SocialMedium.X, messy, false).Text);

        Assert.Equal($"🔴 Investigating — Video playback outage\n\n{Url}", SocialRenderer.Render(SocialMedium.X, Updates.Content(" "), false).Text);
        Assert.Equal($"✅ Update (Resolved)\n\n{Url}", SocialRenderer.Render(SocialMedium.X, Updates.Content("", IncidentStatus.Resolved), true).Text);
    }

    [Theory]
    [MemberData(nameof(Media))]
    public void A_long_message_is_cut_at_a_word_boundary_with_an_ellipsis_and_the_link_kept_whole(string name)
    {
        var medium = Medium(name);
        var message = string.Concat(Enumerable.Repeat("Playback fails for some viewers in Europe while the origin recovers. ", 20)).Trim();

        foreach (var followUp in (bool[])[false, true])
        {
            var text = SocialRenderer.Render(medium, Updates.Content(message), followUp);

            Assert.InRange(text.Length, medium.Limit - 40, medium.Limit);
            Assert.Equal(medium.Measure(text.Text), text.Length);
            Assert.EndsWith("…\n\n" + Url, text.Text);
            var kept = MessageIn(text.Text, followUp);
            Assert.StartsWith(kept, message);
            // At a word's end; a full stop there gives way to the ellipsis.
            Assert.Matches(@"^\.?\s", message[kept.Length..]);
            Assert.DoesNotContain(".…", text.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void X_counts_CJK_and_emoji_twice_and_a_CJK_message_is_cut_between_ideographs()
    {
        var message = string.Concat(Enumerable.Repeat("视频播放服务出现故障，我们正在调查原因。", 20));

        var text = SocialRenderer.Render(SocialMedium.X, Updates.Content(message), false);

        Assert.Equal(text.Length, IndependentXWeight(text.Text));
        Assert.InRange(text.Length, 270, 280);
        Assert.EndsWith("…\n\n" + Url, text.Text);
        Assert.StartsWith(MessageIn(text.Text, false), message);
        // Every ideograph counts 2: some 100 of them fit, not 250.
        Assert.InRange(MessageIn(text.Text, false).Length, 90, 120);
    }

    [Fact]
    public void Bluesky_counts_graphemes_so_an_emoji_family_is_one()
    {
        var message = string.Concat(Enumerable.Repeat("👨‍👩‍👧‍👦 ", 200)) + "done";

        var text = SocialRenderer.Render(SocialMedium.Bluesky, Updates.Content(message), false);

        Assert.Equal(new StringInfo(text.Text).LengthInTextElements, text.Length);
        Assert.True(text.Length <= 300);
        Assert.EndsWith(Url, text.Text);
        Assert.Equal(1, new StringInfo("👨‍👩‍👧‍👦").LengthInTextElements);
        Assert.Equal(1, SocialMedium.Bluesky.Measure("👨‍👩‍👧‍👦"));
    }

    [Fact]
    public void Bluesky_also_keeps_to_its_3000_byte_limit_when_graphemes_are_many_bytes_each()
    {
        // 25 UTF-8 bytes a family: 300 of them would be 7,500 bytes.
        var message = string.Concat(Enumerable.Repeat("👨‍👩‍👧‍👦", 400));

        var text = SocialRenderer.Render(SocialMedium.Bluesky, Updates.Content(message), false);

        Assert.True(Encoding.UTF8.GetByteCount(text.Text) <= 3000);
        Assert.True(text.Length <= 300);
        Assert.EndsWith("…\n\n" + Url, text.Text);
        Assert.DoesNotContain("\uFFFD", text.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Media))]
    public void Accented_CJK_and_emoji_text_fits_every_network(string name)
    {
        var medium = Medium(name);
        var message = string.Concat(Enumerable.Repeat("Café déjà vu 🎉 naïve façade — 東京のサーバーで障害 🇯🇵 ", 30));

        var text = SocialRenderer.Render(medium, Updates.Content(message), false);

        Assert.True(text.Length <= medium.Limit, $"{text.Length} > {medium.Limit}");
        Assert.True(medium.Fits(text.Text));
        Assert.EndsWith("\n\n" + Url, text.Text);
        Assert.DoesNotContain("\uFFFD", text.Text, StringComparison.Ordinal);
        Assert.True(text.Text.IsNormalized(NormalizationForm.FormC));
    }

    [Theory]
    [MemberData(nameof(Media))]
    public void Links_in_the_message_are_dropped_or_kept_whole_never_cut(string name)
    {
        var medium = Medium(name);
        var link = "https://docs.example.com/runbooks/video-playback/" + new string('x', 60);
        var message = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"step {i} see {link}?n={i}"));

        var text = SocialRenderer.Render(medium, Updates.Content(message), false);

        Assert.True(text.Length <= medium.Limit);
        var words = text.Text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.All(words.Where(w => w.StartsWith("http", StringComparison.Ordinal)), w => Assert.Matches(@"^(https://docs\.example\.com/runbooks/video-playback/x{60}\?n=\d+|" + Url + ")$", w));
    }

    [Fact]
    public void A_title_too_long_for_the_post_is_cut_too_and_the_link_survives()
    {
        var title = string.Concat(Enumerable.Repeat("Elevated error rates ", 30)).Trim();

        var text = SocialRenderer.Render(SocialMedium.X, Updates.Content(title: title), false);

        Assert.True(text.Length <= 280);
        Assert.StartsWith("🔴 Investigating — Elevated error rates", text.Text);
        Assert.EndsWith("…\n\n" + Url, text.Text);
    }

    [Fact]
    public void A_link_longer_than_the_whole_post_is_still_not_cut()
    {
        var url = "https://status.example.com/incidents/" + new string('a', 400);

        var text = SocialRenderer.Render(SocialMedium.Bluesky, Updates.Content(url: url), false);

        Assert.EndsWith(url, text.Text);
        Assert.True(text.Length > text.Limit);
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("é", 1)]
    [InlineData("e\u0301", 2)] // not composed here: the renderer composes before measuring
    [InlineData("— “quoted” ‘x’ ′″", 17)]
    [InlineData("…", 2)]
    [InlineData("中文", 4)]
    [InlineData("カタカナ", 8)]
    [InlineData("😀", 2)]
    [InlineData("👍🏽", 2)]
    [InlineData("👨‍👩‍👧‍👦", 2)]
    [InlineData("🇯🇵", 2)]
    [InlineData("see https://status.example.com/incidents/0193a5f2-7c1e-7d3a-9b1f-3c5e8a2d4f60", 27)]
    [InlineData("see https://t.co", 27)]
    [InlineData("see example.com/a", 27)]
    [InlineData("see http://localhost:5000/incidents/0193a5f2-7c1e-7d3a", 54)]
    [InlineData("see https://status.acme.internal/incidents/0193a5f2-7c1e", 56)]
    public void X_weighs_text_as_X_does(string text, int expected) => Assert.Equal(expected, SocialMedium.X.Measure(text));

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("中文😀", 3)]
    [InlineData("see https://status.example.com/incidents/0193a5f2-7c1e-7d3a-9b1f-3c5e8a2d4f60", 27)]
    [InlineData("a https://a.io b https://b.dev/" + "0123456789012345678901234567890123456789", 51)]
    [InlineData("see example.com/a", 17)] // Mastodon links only URLs with a scheme
    [InlineData("see http://127.0.0.1:5000/incidents/1", 37)]
    public void Mastodon_counts_characters_and_every_link_as_23(string text, int expected) => Assert.Equal(expected, SocialMedium.Mastodon.Measure(text));

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("Café 👨‍👩‍👧‍👦 🇯🇵", 8)]
    [InlineData("see https://status.example.com/incidents/1", 42)] // Bluesky shows (and counts) the link text in full
    public void Bluesky_counts_graphemes_links_included(string text, int expected) => Assert.Equal(expected, SocialMedium.Bluesky.Measure(text));

    [Fact]
    public void The_limits_are_500_300_and_280()
    {
        Assert.Equal(500, SocialMedium.Mastodon.Limit);
        Assert.Equal(300, SocialMedium.Bluesky.Limit);
        Assert.Equal(280, SocialMedium.X.Limit);
    }

    [Theory]
    [MemberData(nameof(Media))]
    public void A_cut_post_says_what_it_left_out_and_a_whole_one_says_nothing_was(string name)
    {
        var medium = Medium(name);
        var message = string.Join(' ', Enumerable.Range(1, 30).Select(i => $"Region {i} recovered at 10:{i:00} UTC."));

        foreach (var followUp in (bool[])[false, true])
        {
            var text = SocialRenderer.Render(medium, Updates.Content(message), followUp);

            Assert.True(text.Truncated);
            var kept = MessageIn(text.Text, followUp);
            // Sent and cut are the whole message: only the full stop and space given way to the ellipsis are in neither.
            Assert.StartsWith(kept, message);
            Assert.EndsWith(text.Cut!, message);
            Assert.Matches(@"^\.?\s$", message[kept.Length..^text.Cut!.Length]);

            var whole = SocialRenderer.Render(medium, Updates.Content("Region 1 recovered."), followUp);
            Assert.False(whole.Truncated);
            Assert.Null(whole.Cut);
        }
    }

    [Fact]
    public void A_title_cut_to_fit_is_reported_with_the_message_it_left_out()
    {
        var title = string.Concat(Enumerable.Repeat("Elevated error rates ", 30)).Trim();

        var text = SocialRenderer.Render(SocialMedium.X, Updates.Content(message: "Checkout is affected.", title: title), false);

        var keptTitle = text.Text["🔴 Investigating — ".Length..text.Text.IndexOf('…', StringComparison.Ordinal)];
        Assert.StartsWith(keptTitle, title);
        Assert.Equal($"{title[keptTitle.Length..].Trim()}\n\nCheckout is affected.", text.Cut);
    }

    /// <summary>The operator's message as it appears in a rendered post, without the ellipsis.</summary>
    private static string MessageIn(string text, bool followUp)
    {
        var body = text[..text.LastIndexOf("\n\n", StringComparison.Ordinal)];
        var message = followUp ? body[(body.IndexOf("): ", StringComparison.Ordinal) + 3)..] : body[(body.IndexOf("\n\n", StringComparison.Ordinal) + 2)..];
        return message.TrimEnd('…', ' ');
    }

    /// <summary>X's weighting written out plainly for text whose only link is the incident URL and whose emoji are single code points.</summary>
    private static int IndependentXWeight(string text)
    {
        var withoutUrl = text.Replace(Url, "", StringComparison.Ordinal);
        var weight = text.Contains(Url, StringComparison.Ordinal) ? 23 : 0;
        foreach (var rune in withoutUrl.EnumerateRunes())
        {
            var v = rune.Value;
            weight += v <= 0x10FF || (v >= 0x2000 && v <= 0x200D) || (v >= 0x2010 && v <= 0x201F) || (v >= 0x2032 && v <= 0x2037) ? 1 : 2;
        }
        return weight;
    }
}
