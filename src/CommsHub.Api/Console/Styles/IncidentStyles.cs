namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The home, incident list and incident page: rules beyond the console's base stylesheet.</summary>
internal static class IncidentStyles
{
    // An overdue row is marked by a border and a badge, not a tinted background: the status colours need the card behind them for contrast.
    public const string Css = """
        tr.overdue td:first-child{box-shadow:inset 4px 0 0 var(--critical)}
        .badge.due{margin:0 8px 0 4px}#audit-state{margin-right:6px}.badge.mark-draft,.mark-draft>h3 .badge{color:var(--minor);border-style:dashed}
        ul.plain{list-style:none;margin:8px 0;padding:0}ul.plain li{margin:6px 0}
        .progress-list{list-style:none;margin:8px 0;padding:0}.progress-list li{display:grid;grid-template-columns:6em 1fr auto;gap:8px;align-items:center;margin:4px 0}
        .progress-list progress{width:100%;height:14px;accent-color:var(--ok)}.progress-list .figures{font-variant-numeric:tabular-nums;white-space:nowrap}
        .fan-out{border-top:1px solid var(--line);padding-top:8px;margin-top:8px}.fan-out:first-child{border-top:0;margin-top:0;padding-top:0}.fan-out h3{font-size:1rem;margin:0}
        ol.timeline{list-style:none;margin:0;padding:0}ol.timeline>li.entry{border-left:3px solid var(--line);padding:4px 0 8px 16px;margin:0 0 16px}
        ol.timeline>li.mark-draft,ol.timeline>li.mark-scheduled{border-left-style:dashed}
        .entry h3{font-size:1rem;margin:0;display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center}.entry .message{white-space:pre-wrap}
        .marks{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center;margin:4px 0}.component{margin-right:12px;white-space:nowrap}
        .report h4{font-size:.95rem;margin:12px 0 4px}.report caption{text-align:left;caption-side:top}.failures{margin:4px 0;padding-left:20px}
        .drill{display:flex;flex-wrap:wrap;gap:4px 16px}form.confirm{border:2px solid var(--critical);border-radius:8px;padding:8px 16px;margin-top:16px}
        dl.whoami{margin:0}.incident-list{margin-top:12px}.incident-list table{min-width:640px}.badge{white-space:nowrap}
        @media (max-width:480px){.progress-list li{grid-template-columns:1fr auto}.progress-list progress{grid-column:1/-1;grid-row:2}}
        """;
}
