namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The campaigns pages: the new-campaign form's choices, the campaign statuses, the report's figures.</summary>
internal static class CampaignStyles
{
    public const string Css = """
        .list-head h1{margin:0}.campaign-form{max-width:760px}
        .campaign-form fieldset{min-width:0}.choice{margin:0 0 8px 28px;min-width:0}.choice select,.choice input{max-width:100%}.choice label{font-weight:400;margin-top:4px}
        .c-draft{color:var(--muted)}.c-scheduled{color:var(--maint)}.c-sending{color:var(--minor)}.c-sent{color:var(--ok)}.c-cancelled{color:var(--critical)}
        dl.figures-list dd{font-variant-numeric:tabular-nums;font-weight:600}
        pre.template{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;padding:8px;background:var(--bg);border-radius:4px;font-size:.85rem}
        .medium .render.short{height:14em}
        @media (max-width:480px){.choice{margin-left:12px}}
        """;
}
