using CommsHub.Core.Common;

namespace CommsHub.Tests.Common;

public sealed class OperatorTextTests
{
    [Fact]
    public void Every_C0_control_but_tab_line_feed_and_carriage_return_is_refused_and_so_is_DEL()
    {
        for (var c = '\0'; c <= '\u00FF'; c++)
        {
            var expected = c is < ' ' and not ('\t' or '\n' or '\r') || c == '\u007F';
            Assert.True(expected == OperatorText.IsForbidden(c), $"U+{(int)c:X4}");
            Assert.Equal(expected ? 2 : -1, OperatorText.FindForbidden($"ok{c}"));
        }
    }

    [Fact]
    public void Text_an_operator_writes_passes_as_it_is()
    {
        Assert.Null(OperatorText.Problem("Playback fails\tfor some users.\r\nWe are on it — 🔥 ‘quotes’ \u200F\u0085"));
        Assert.Null(OperatorText.Problem(""));
    }

    [Fact]
    public void The_problem_names_the_code_point_and_its_position_from_1()
    {
        Assert.Equal("contains the control character U+001B (ESC) at character 8 (counting from 1); only tab, line feed and carriage return are allowed.",
            OperatorText.Problem("Error: \u001b[31mfailed"));
        Assert.Equal("contains the control character U+0000 (NUL) at character 1 (counting from 1); only tab, line feed and carriage return are allowed.",
            OperatorText.Problem("\0"));
        Assert.Contains("U+007F (DEL) at character 2 ", OperatorText.Problem("a\u007F"));
    }

    [Fact]
    public void The_position_counts_an_emoji_as_one_character()
    {
        Assert.Contains("U+0007 (BEL) at character 3 ", OperatorText.Problem("🔥 \u0007"));
    }
}
