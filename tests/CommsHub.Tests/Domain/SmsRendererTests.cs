using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

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

    [Fact]
    public void Typographic_punctuation_is_written_the_GSM_7_way_so_the_message_stays_one_segment()
    {
        var text = SmsRenderer.Render(Content("It’s “fixed” — mostly…"), 1);

        Assert.Equal($"Acme Status: Video playback outage - Identified. It's \"fixed\" - mostly... {Url}", text.Body);
        Assert.Equal(("GSM-7", 1), (text.Encoding, text.Segments));
        Assert.False(text.Truncated);
        Assert.Null(text.Cut);
    }

    [Fact]
    public void Every_common_look_alike_together_stays_GSM_7_at_half_the_segments()
    {
        const string Typed = "We’re on it — the ‘player’ “fix”… is rolling out: • web • apps, ETA 10–15\u00a0min.";
        var text = SmsRenderer.Render(Content(Typed), 3);

        Assert.Contains("We're on it - the 'player' \"fix\"... is rolling out: * web * apps, ETA 10-15 min.", text.Body);
        Assert.Equal(("GSM-7", 2), (text.Encoding, text.Segments));
        Assert.False(text.Truncated);
        // One curly apostrophe left as typed would have made it UCS-2, in four segments.
        var asTyped = SmsRenderer.Measure(text.Body.Replace("We're", "We’re", StringComparison.Ordinal));
        Assert.Equal(("UCS-2", 4), (asTyped.Encoding, asTyped.Segments));
    }

    [Theory]
    [InlineData("‘Quoted’ „German“ «French» ‹single› a‐b a‑b a−b", "'Quoted' \"German\" \"French\" <single> a-b a-b a-b")]
    [InlineData("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen")]
    [InlineData("Café, Müller, Ñoño, Øre, ΔΣΩ", "Café, Müller, Ñoño, Øre, ΔΣΩ")] // letters GSM-7 has are never touched
    public void Look_alikes_become_GSM_7_and_letters_stay(string typed, string sent)
    {
        Assert.Equal(sent, SmsRenderer.Transliterate(typed));
        Assert.Equal("GSM-7", SmsRenderer.Measure(SmsRenderer.Transliterate(typed)).Encoding);
    }

    [Fact]
    public void An_e_acute_keeps_the_message_GSM_7()
    {
        var text = SmsRenderer.Render(Content("Le café est fermé — retour à 14h."), 1);
        Assert.Equal("GSM-7", text.Encoding);
        Assert.Contains("Le café est fermé - retour à 14h.", text.Body);
    }

    [Theory]
    [InlineData("“服务” is down — we’re on it")] // a CJK letter
    [InlineData("The λ service is down — we’re on it")] // a Greek small letter GSM-7 lacks
    public void A_letter_GSM_7_lacks_still_makes_it_UCS_2_and_the_typography_is_kept(string message)
    {
        var text = SmsRenderer.Render(Content(message), 3);
        Assert.Equal("UCS-2", text.Encoding);
        // UCS-2 carries “ ” and — as they are, at no extra cost: the operator's text goes as typed.
        Assert.Contains(message, text.Body);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_cut_message_says_what_it_left_out(int maxSegments)
    {
        var sentences = Enumerable.Range(1, 40).Select(i => $"Sentence {i} says what happened in region {i}.").ToList();
        var message = string.Join(' ', sentences);
        var text = SmsRenderer.Render(Content(message), maxSegments);

        Assert.True(text.Truncated);
        Assert.True(text.Segments <= maxSegments);
        // What was sent and what was cut are the whole message, split at a word (the sentence's full stop gives way to "...").
        var head = "Acme Status: Video playback outage - Identified. ";
        var kept = text.Body[head.Length..text.Body.IndexOf("... " + Url, StringComparison.Ordinal)];
        Assert.StartsWith(kept, message);
        Assert.EndsWith(text.Cut!, message);
        Assert.Matches(@"^[.,;: ]+$", message[kept.Length..^text.Cut!.Length]);
    }

    [Fact]
    public void A_message_that_fits_reports_nothing_cut()
    {
        var text = SmsRenderer.Render(Content("We found the cause."), 1);
        Assert.False(text.Truncated);
        Assert.Null(text.Cut);
    }
}
