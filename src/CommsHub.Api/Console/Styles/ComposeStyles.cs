namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The compose page and its live preview: rules beyond the console's base stylesheet.</summary>
internal static class ComposeStyles
{
    public const string Css = "";
}
