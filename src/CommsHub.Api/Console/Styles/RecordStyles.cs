namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The subscribers, deliveries and audit pages: rules beyond the console's base stylesheet.</summary>
internal static class RecordStyles
{
    public const string Css = "";
}
