namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The components, maintenances, API keys and operators pages: rules beyond the console's base stylesheet.</summary>
internal static class AdminStyles
{
    public const string Css = "";
}
