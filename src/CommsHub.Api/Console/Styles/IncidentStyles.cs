namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The home, incident list and incident page: rules beyond the console's base stylesheet.</summary>
internal static class IncidentStyles
{
    public const string Css = "";
}
