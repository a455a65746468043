using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;

namespace CommsHub.Tests.Domain;

public sealed class SmsRendererTests
{
    private const string Url = "https://status.acme.example/incidents/01930000-0000-7000-8000-000000000001";

    private static UpdateContent Content(string message) => new(
        "Acme Status", "https://status.acme.example/", Guid.Parse("01930000-0000-7000-8000-000000000001"),
        "Video playback outage", Url, IncidentStatus.Identified, Impact.Major, message, DateTimeOffset.UnixEpoch, []);

    [Theory]
    [InlineData("Hello world", "GSM-7", 11, 1)]
    [InlineData("Price: 10€ [beta]", "GSM-7", 20, 1)]      // € [ ] cost two septets each
    [InlineData("Café ok", "GSM-7", 7, 1)]                 // é is in the GSM alphabet
    [InlineData("It’s down", "UCS-2", 9, 1)]               // a curly apostrophe is not
    [InlineData("Down 🔥", "UCS-2", 7, 1)]                 // an emoji is two UTF-16 units
    public void Encoding_and_length_are_measured_as_carriers_bill_them(string text, string encoding, int length, int segments)
    {
        var measured = SmsRenderer.Measure(text);
        Assert.Equal((encoding, length, segments), (measured.Encoding, measured.Length, measured.Segments));
    }

    [Theory]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void Gsm_segments_hold_160_alone_and_153_when_split(int length, int segments) =>
        Assert.Equal(segments, SmsRenderer.Measure(new string('a', length)).Segments);

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void Ucs2_segments_hold_70_alone_and_67_when_split(int length, int segments) =>
        Assert.Equal(segments, SmsRenderer.Measure("é" + new string('ж', length - 1)).Segments);

    [Fact]
    public void A_short_update_is_sent_whole()
    {
        var text = SmsRenderer.Render(Content("We found the cause."), 2);
        Assert.Equal($"Acme Status: Video playback outage - Identified. We found the cause. {Url}", text.Body);
        Assert.Equal("GSM-7", text.Encoding);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_long_update_is_cut_at_a_word_to_the_segment_limit_keeping_the_link(int maxSegments)
    {
        var message = string.Join(' ', Enumerable.Repeat("Playback is failing for viewers on every platform.", 40));
        var text = SmsRenderer.Render(Content(message), maxSegments);
        Assert.True(text.Segments <= maxSegments, $"{text.Segments} segments");
        Assert.EndsWith(" " + Url, text.Body);
        Assert.Contains("... " + Url, text.Body);
        Assert.Equal("GSM-7", text.Encoding);
        Assert.Equal(text.Segments, SmsRenderer.Measure(text.Body).Segments);
        // Cut at a word boundary: the text before "..." ends with a whole word of the message.
        var kept = text.Body[..text.Body.IndexOf("...", StringComparison.Ordinal)];
        Assert.Matches(@"(platform|every|on|viewers|for|failing|is|Playback)$", kept);
    }

    [Fact]
    public void An_emoji_message_stays_within_two_ucs2_segments()
    {
        var message = string.Concat(Enumerable.Repeat("🔥 Streaming is down everywhere. ", 20));
        var text = SmsRenderer.Render(Content(message), 2);
        Assert.Equal("UCS-2", text.Encoding);
        Assert.True(text.Body.Length <= 134, $"{text.Body.Length} UTF-16 units");
        Assert.EndsWith(Url, text.Body);
    }
}
